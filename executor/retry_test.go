package executor

import (
	"context"
	"errors"
	"testing"
	"time"

	"fleet/internal/cvm"
)

func TestRetryBackoff(t *testing.T) {
	f := newFake()
	busy := apiError(cvm.ClassRetryable, 6000, "OperationFail.SystemBusy")
	f.answer = func(_ map[string]string, attempt int) (int, error) {
		if attempt < 5 {
			return 0, busy
		}
		return -1, nil
	}
	var ceilings, slept []time.Duration
	p := RetryPolicy{
		MaxAttempts: 6, BaseDelay: 100 * time.Millisecond, MaxDelay: 500 * time.Millisecond,
		Jitter: func(d time.Duration) time.Duration { ceilings = append(ceilings, d); return d / 2 },
		Sleep:  func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	}
	params := map[string]string{"clientToken": "t-1", "goodsNum": "2"}
	res, err := over(WithRetry(wire(f), p)).RunInstances(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.AllInstanceIDs()) != 2 {
		t.Fatalf("got %v, want 2 instances", res.AllInstanceIDs())
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond}
	if len(ceilings) != len(want) {
		t.Fatalf("got ceilings %v, want %v", ceilings, want)
	}
	for i := range want {
		if ceilings[i] != want[i] || slept[i] != want[i]/2 {
			t.Errorf("retry %d: ceiling %v slept %v, want %v and %v", i+1, ceilings[i], slept[i], want[i], want[i]/2)
		}
	}
	for _, sent := range f.sent {
		if sent["clientToken"] != "t-1" || sent["goodsNum"] != "2" {
			t.Errorf("attempt sent %v, want the same parameters every time", sent)
		}
	}
}

func TestRetryClasses(t *testing.T) {
	tests := []struct {
		class    cvm.Class
		attempts int
	}{
		{cvm.ClassRetryable, 4},
		{cvm.ClassClock, 1},
		{cvm.ClassUnknown, 1},
		{cvm.ClassParameter, 1},
		{cvm.ClassAuth, 1},
		{cvm.ClassBalance, 1},
		{cvm.ClassQuota, 1},
	}
	for _, tt := range tests {
		t.Run(tt.class.String(), func(t *testing.T) {
			f := newFake()
			want := apiError(tt.class, 1, "X")
			f.answer = func(map[string]string, int) (int, error) { return 0, want }
			_, err := over(WithRetry(wire(f), noSleep(4))).RunInstances(context.Background(), map[string]string{"clientToken": "t"})
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
			if got := len(f.sent); got != tt.attempts {
				t.Errorf("got %d attempts, want %d", got, tt.attempts)
			}
		})
	}
}

func TestRetryMaxTime(t *testing.T) {
	f := newFake()
	f.answer = func(map[string]string, int) (int, error) { return 0, apiError(cvm.ClassRetryable, 6000, "") }
	now := time.Unix(0, 0)
	p := RetryPolicy{
		MaxAttempts: 100, BaseDelay: time.Second, MaxDelay: time.Second, MaxTime: 5 * time.Second,
		Now:    func() time.Time { return now },
		Jitter: func(d time.Duration) time.Duration { return d },
		Sleep:  func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil },
	}
	if _, err := over(WithRetry(wire(f), p)).RunInstances(context.Background(), map[string]string{"clientToken": "t"}); err == nil {
		t.Fatal("got success, want the last error")
	}
	if got := len(f.sent); got != 6 {
		t.Errorf("got %d attempts in 5s of 1s waits, want 6", got)
	}
}

func TestRetryStopsOnCancel(t *testing.T) {
	f := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	f.answer = func(_ map[string]string, attempt int) (int, error) {
		if attempt == 2 {
			cancel()
		}
		return 0, apiError(cvm.ClassRetryable, 6000, "")
	}
	_, err := over(WithRetry(wire(f), RetryPolicy{MaxAttempts: 10, BaseDelay: time.Millisecond})).RunInstances(ctx, map[string]string{"clientToken": "t"})
	if cvm.ClassOf(err) != cvm.ClassRetryable {
		t.Fatalf("got %v, want the last answer", err)
	}
	if got := len(f.sent); got != 2 {
		t.Errorf("got %d attempts, want none after the cancel", got)
	}
}

func TestDetachLetsAttemptFinish(t *testing.T) {
	var seen error
	c := Detach(transportFunc(func(ctx context.Context, _ string, _ map[string]string) (cvm.Answer, error) {
		seen = ctx.Err()
		return cvm.Answer{}, nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Call(ctx, "RunInstances", nil); err != nil {
		t.Fatal(err)
	}
	if seen != nil {
		t.Fatalf("the attempt saw %v, want a context that is not cancelled", seen)
	}
}

// transportFunc is a cvm.Transport made of a function.
type transportFunc func(ctx context.Context, action string, params map[string]string) (cvm.Answer, error)

func (f transportFunc) Call(ctx context.Context, action string, params map[string]string) (cvm.Answer, error) {
	return f(ctx, action, params)
}

func TestLimiterSpacing(t *testing.T) {
	now := time.Unix(100, 0)
	l := newLimiter(4, func() time.Time { return now })
	var waits []time.Duration
	l.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	for range 4 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("got waits %v, want %v", waits, want)
		}
	}
	// After a pause the bucket holds one token again, not a burst.
	now = now.Add(10 * time.Second)
	waits = nil
	_ = l.wait(context.Background())
	_ = l.wait(context.Background())
	if waits[0] != 0 || waits[1] != 250*time.Millisecond {
		t.Fatalf("after a pause got waits %v, want 0 then 250ms", waits)
	}
}

func TestRateLimitCancelledSendsNothing(t *testing.T) {
	f := newFake()
	c := over(WithRateLimit(wire(f), 0.001))
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := c.RunInstances(ctx, map[string]string{"goodsNum": "1"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := c.RunInstances(ctx, map[string]string{"goodsNum": "1"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if len(f.sent) != 1 {
		t.Fatalf("sent %d, want 1", len(f.sent))
	}
}
