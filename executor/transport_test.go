package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
)

// The decorators wrap the one seam, cvm.Transport: every action gets retries, the rate
// limit, the log and detaching from cancellation without a line of its own. These tests run
// the renewal actions through them against the simulator, and an action no decorator knows
// through a fake transport.

// stack wraps t as the commands do: logged, rate limited by l, detached, retried.
func stack(t cvm.Transport, logger *slog.Logger, l *Limiter, p RetryPolicy) cvm.Transport {
	return WithRetry(Detach(WithLimiter(WithLog(t, logger), l)), p)
}

// simInstances starts a simulator, buys n instances of one month, and returns it with a
// client of it and their ids.
func simInstances(t *testing.T, cfg cvmsim.Config, n int) (*cvmsim.Server, *cvm.Client, []string) {
	t.Helper()
	sim, c := simClient(t, cfg)
	p := benchPlan(1).Calls()[0].Params
	p["goodsNum"] = fmt.Sprint(n)
	p["clientToken"] = "transport-test"
	res, err := c.RunInstances(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c, res.AllInstanceIDs()
}

// OperationFail.SystemBusy shows that nothing was renewed: the renewal is sent again, and
// each instance is renewed exactly once.
func TestRenewInstanceRetriedWhenBusy(t *testing.T) {
	sim, c, ids := simInstances(t, cvmsim.Config{Seed: 3}, 10)
	if err := sim.SetFaults(0.5, 0, "RenewInstance"); err != nil {
		t.Fatal(err)
	}
	api := over(WithRetry(Detach(c), noSleep(20)))
	for _, id := range ids {
		if _, err := api.RenewInstance(context.Background(), id, 1); err != nil {
			t.Fatalf("RenewInstance(%s): %v", id, err)
		}
		if n := sim.RenewalCount(id); n != 1 {
			t.Errorf("%s renewed %d times, want once", id, n)
		}
	}
	if n := sim.RequestCount("RenewInstance"); n <= len(ids) {
		t.Errorf("%d requests for %d renewals: no busy answer was retried", n, len(ids))
	}
}

// A renewal refused for the balance is definitive: one request, nothing renewed.
func TestRenewInstanceBalanceNotRetried(t *testing.T) {
	sim, c, ids := simInstances(t, cvmsim.Config{Seed: 1}, 1)
	if err := sim.SetBalance(1); err != nil {
		t.Fatal(err)
	}
	before := sim.RequestCount("RenewInstance")
	_, err := over(WithRetry(Detach(c), noSleep(5))).RenewInstance(context.Background(), ids[0], 1)
	if cvm.ClassOf(err) != cvm.ClassBalance || !Definitive(err) {
		t.Fatalf("error %v, want a definitive balance refusal", err)
	}
	if n := sim.RequestCount("RenewInstance") - before; n != 1 || sim.RenewalCount(ids[0]) != 0 {
		t.Errorf("%d requests, %d renewals; want 1 and 0", n, sim.RenewalCount(ids[0]))
	}
}

// A renewal whose answer is lost was made: without a hook to look first, it is not sent
// again, and its error says that it may have taken effect.
func TestRenewInstanceNotResentAfterLostAnswer(t *testing.T) {
	sim, c, ids := simInstances(t, cvmsim.Config{Seed: 1}, 1)
	if err := sim.SetDropActions("RenewInstance"); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFaults(0, 1); err != nil {
		t.Fatal(err)
	}
	_, err := over(WithRetry(Detach(c), noSleep(5))).RenewInstance(context.Background(), ids[0], 1)
	if err == nil || cvm.Refused(err) || !Retryable(err) {
		t.Fatalf("error %v, want a retryable error that may have taken effect", err)
	}
	if n := sim.RequestCount("RenewInstance"); n != 1 || sim.RenewalCount(ids[0]) != 1 {
		t.Errorf("%d requests and %d renewals, want 1 and 1: a lost answer was resent", n, sim.RenewalCount(ids[0]))
	}

	// SetAutoRenew, idempotent, is sent again after the same loss.
	if err := sim.SetDropActions("SetAutoRenew"); err != nil {
		t.Fatal(err)
	}
	_, err = over(WithRetry(Detach(c), noSleep(3))).SetAutoRenew(context.Background(), ids, cvm.AutoRenewOn)
	if !Retryable(err) || sim.RequestCount("SetAutoRenew") != 3 {
		t.Errorf("SetAutoRenew with every answer lost: %v after %d requests, want 3 attempts", err, sim.RequestCount("SetAutoRenew"))
	}
}

// With a hook in the call's context, the renewal is not resent blind: the hook reads the
// deadline and resolves the call. The hook's own lookups are not looked before.
func TestRenewInstanceHookResolvesLostAnswer(t *testing.T) {
	sim, c, ids := simInstances(t, cvmsim.Config{Seed: 1}, 1)
	id := ids[0]
	before, _ := sim.Instance(id)
	if err := sim.SetDropActions("RenewInstance"); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFaults(0, 1); err != nil {
		t.Fatal(err)
	}
	api := over(WithRetry(Detach(c), noSleep(5)))
	var asked int
	var renewed *time.Time
	obs := &observer{beforeResend: func(ctx context.Context, last error) (bool, error) {
		asked++
		list, err := api.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: []string{id}})
		if err != nil || len(list) != 1 || list[0].Deadline == nil {
			return true, last
		}
		if list[0].Deadline.After(before.Deadline) {
			renewed = list[0].Deadline
			return true, nil
		}
		return false, nil
	}}
	deal, err := api.RenewInstance(withObserver(context.Background(), obs), id, 1)
	if err != nil || deal != "" {
		t.Fatalf("got %q, %v; want the call resolved by the hook, without an error", deal, err)
	}
	if asked != 1 || renewed == nil || sim.RenewalCount(id) != 1 || sim.RequestCount("RenewInstance") != 1 {
		t.Errorf("hook asked %d times, deadline %v, %d renewals in %d requests; want 1, the new deadline, 1 in 1",
			asked, renewed, sim.RenewalCount(id), sim.RequestCount("RenewInstance"))
	}
	if obs.attempts != 2 {
		t.Errorf("%d attempts counted, want 2: the renewal and the hook's lookup", obs.attempts)
	}
}

// The hook is asked for any action whose context carries it, and the calls it makes are not
// looked before, even when they fail.
func TestHookNotAskedForItsOwnCalls(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	lost := &cvm.Error{Action: "X", Class: cvm.ClassRetryable, Err: errors.New("connection reset")}
	inner := transportFunc(func(_ context.Context, action string, _ map[string]string) (cvm.Answer, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[action]++
		if action == "DescribeInstances" || calls[action] == 1 {
			return nil, lost
		}
		return cvm.Answer{}, nil
	})
	tr := WithRetry(inner, noSleep(3))
	asked := 0
	obs := &observer{beforeResend: func(ctx context.Context, last error) (bool, error) {
		asked++
		_, err := tr.Call(ctx, "DescribeInstances", nil) // fails every attempt
		return false, err
	}}
	if _, err := tr.Call(withObserver(context.Background(), obs), "RenewInstance", nil); err != nil {
		t.Fatal(err)
	}
	if asked != 1 || calls["RenewInstance"] != 2 || calls["DescribeInstances"] != 3 {
		t.Errorf("hook asked %d times, %v calls; want 1, RenewInstance twice, DescribeInstances 3 times", asked, calls)
	}
}

// An action no decorator knows gets every decorator: the decorators see nothing but Call.
func TestNewActionGetsEveryDecorator(t *testing.T) {
	var seen []context.Context
	busy := &cvm.Error{Action: "DescribeDeals", Code: 6000, Name: "OperationFail.SystemBusy", Message: "busy", HTTPStatus: 200, Class: cvm.ClassRetryable}
	inner := transportFunc(func(ctx context.Context, action string, params map[string]string) (cvm.Answer, error) {
		seen = append(seen, ctx)
		if action != "DescribeDeals" || params["dealId"] != "7" {
			return nil, fmt.Errorf("got %s %v", action, params)
		}
		if len(seen) == 1 {
			return nil, busy
		}
		return cvm.Answer{"price": []byte("42"), "dealIds": []byte(`["7"]`)}, nil
	})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := newLimiter(1000, time.Now)
	var waits int
	l.sleep = func(context.Context, time.Duration) error { waits++; return nil }
	var retries []error
	obs := &observer{onRetry: func(_ int, err error, _ time.Duration) { retries = append(retries, err) }}
	ctx := withCallLabel(withObserver(context.Background(), obs), "web", 4)

	ans, err := stack(inner, logger, l, noSleep(3)).Call(ctx, "DescribeDeals", map[string]string{"dealId": "7"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ans.Get("price"); !ok {
		t.Errorf("answer %v, want the second attempt's", ans)
	}
	if len(seen) != 2 || obs.attempts != 2 || len(retries) != 1 {
		t.Errorf("%d attempts (%d counted, %d retries), want 2: the busy answer retried", len(seen), obs.attempts, len(retries))
	}
	if waits != 2 {
		t.Errorf("the rate limit was asked %d times, want once an attempt", waits)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want one an attempt:\n%s", len(lines), logs.String())
	}
	for i, want := range [][]string{
		{"level=WARN", "action=DescribeDeals", "group=web", "seq=4", "class=retryable"},
		{"level=INFO", "action=DescribeDeals", "group=web", "seq=4", "price_fen=42", "deals=1"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d = %q, want %q", i+1, lines[i], w)
			}
		}
	}

	// Cancelled: no attempt is started by the retries, but one already started runs on,
	// detached, with the context's values.
	seen = nil
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = stack(inner, nil, l, noSleep(3)).Call(cancelled, "DescribeDeals", map[string]string{"dealId": "7"})
	if !errors.Is(err, busy) || len(seen) != 1 {
		t.Fatalf("cancelled: %v after %d attempts, want the first answer and no retry", err, len(seen))
	}
	if seen[0].Err() != nil || observerFrom(seen[0]) != obs {
		t.Errorf("the attempt saw a cancelled context (%v) or lost its values", seen[0].Err())
	}
}

// One limiter shared by two transports holds its budget for both together.
func TestLimiterSharedByTransports(t *testing.T) {
	now := time.Unix(100, 0)
	l := newLimiter(10, func() time.Time { return now })
	var waits []time.Duration
	l.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	ok := transportFunc(func(context.Context, string, map[string]string) (cvm.Answer, error) { return cvm.Answer{}, nil })
	api := cvm.API{CVM: WithLimiter(ok, l), Trade: WithLimiter(ok, l)}
	if _, err := api.CVM.Call(context.Background(), "RenewInstance", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := api.Trade.Call(context.Background(), "SetAutoRenew", nil); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 2 || waits[0] != 0 || waits[1] != 100*time.Millisecond {
		t.Errorf("waits %v, want 0 then 100ms: the second module waits its turn", waits)
	}
	if NewLimiter(0) != nil || WithLimiter(ok, nil) == nil {
		t.Errorf("a rate of 0 must mean no limiter, and no limiter the transport itself")
	}
}
