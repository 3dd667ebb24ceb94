package executor

import (
	"context"
	"testing"

	"fleet/internal/cvm"
	"fleet/internal/state"
)

// A refusal of the request's timestamp (4500: the local clock is off) is definitive: the API
// refused it before buying anything, so the call fails instead of staying pending as an
// unknown outcome, and it is not retried (a clock that is off stays off).
func TestClockRefusalIsDefinitive(t *testing.T) {
	f := newFixture()
	c := newCall("web", 0, 2)
	f.client.answer = func(map[string]string, int) (int, error) {
		return 0, apiError(cvm.ClassClock, 4500, "InvalidRequest.ReplayAttack")
	}
	res, err := Apply(context.Background(), newPlan(c), f.opts(over(WithRetry(wire(f.client), noSleep(4)))))
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || res.Pending != 0 || res.Unknown() {
		t.Errorf("result %+v, want the call failed and nothing unknown", res)
	}
	if got := len(f.client.sentTokens()); got != 1 {
		t.Errorf("sent %d attempts, want 1", got)
	}
	if b := batch(t, f.state, "web", 0); b.Status != state.StatusFailed {
		t.Errorf("batch is %s, want failed", b.Status)
	}
}
