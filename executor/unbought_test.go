package executor

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"fleet/internal/cvm"
	"fleet/internal/state"
)

// A resumed call whose recorded batch is no longer pending was planned against an older
// state: it is not sent, and the batch keeps its recorded outcome.
func TestApplyRefusesStaleResume(t *testing.T) {
	f := newFixture()
	f.state.Groups["web"] = &state.Group{Batches: []*state.Batch{{Seq: 0, Kind: state.KindRun, ClientToken: token("web", 0), GoodsNum: 1, Status: state.StatusDone}}}
	c := newCall("web", 0, 1)
	c.Resume = true
	res, err := Apply(context.Background(), newPlan(c), f.opts(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.client.sent) != 0 || res.Pending != 1 || res.Calls != 0 {
		t.Fatalf("sent %d, result %+v; want nothing sent and the call left as it was", len(f.client.sent), res)
	}
	if b := batch(t, f.state, "web", 0); b.Status != state.StatusDone {
		t.Fatalf("batch is %s, want done as recorded", b.Status)
	}
}

func TestAnsweredUnbought(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&cvm.Error{Code: 4000, Name: "OperationFail.SystemBusy", HTTPStatus: 200}, true},
		{&cvm.Error{Code: 6000, Name: "RequestLimitExceeded", HTTPStatus: 429}, true},
		{fmt.Errorf("wrapped: %w", &cvm.Error{Code: 4000, Name: "InvalidParameter", HTTPStatus: 200}), true},
		{&cvm.Error{Code: 4000, Name: "OperationFail.SystemBusy", HTTPStatus: 503}, false},
		{&cvm.Error{Code: 6000, Name: "InternalError.Unknown", HTTPStatus: 200}, false},
		{&cvm.Error{HTTPStatus: 502, Err: errors.New("bad gateway")}, false},
		{&cvm.Error{Err: errors.New("connection reset")}, false},
		{errors.New("timeout"), false},
	} {
		if got := answeredUnbought(tc.err); got != tc.want {
			t.Errorf("answeredUnbought(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
