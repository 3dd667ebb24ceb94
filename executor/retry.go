package executor

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"fleet/internal/cvm"
)

// RetryPolicy bounds the retries of one call. The zero value means the defaults.
type RetryPolicy struct {
	MaxAttempts int           // attempts in all, first included; default 8
	BaseDelay   time.Duration // the first backoff's ceiling; default 200ms
	MaxDelay    time.Duration // the ceiling of any backoff; default 10s
	MaxTime     time.Duration // no new attempt after this long since the first; default 2m
	// Sleep waits d or until ctx is done; nil means a timer. Tests inject their own.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of MaxTime; nil means time.Now.
	Now func() time.Time
	// Jitter returns a random duration in [0, d]; nil means uniform (full jitter).
	Jitter func(d time.Duration) time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 10 * time.Second
	}
	if p.MaxTime <= 0 {
		p.MaxTime = 2 * time.Minute
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Jitter == nil {
		p.Jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return time.Duration(rand.Int64N(int64(d) + 1))
		}
	}
	return p
}

// Retryable reports whether an attempt that failed with err may be repeated with the same
// client token: network errors, timeouts, HTTP 5xx, busy, code 6000, rate limits (4400) and a
// replayed nonce (ClassRetryable; the client signs every attempt afresh). Never parameter,
// credential, balance, quota or timestamp errors (a clock that is off stays off), nor errors
// it cannot class.
func Retryable(err error) bool {
	return cvm.ClassOf(err) == cvm.ClassRetryable
}

// WithRetry returns a Client that repeats a failed RunInstances while the error is Retryable,
// with exponential backoff and full jitter, within the policy's bounds. The parameters (and so
// the client token) are the same in every attempt; the inner client draws a fresh Nonce and
// Timestamp per attempt. Cancelling the context stops the retries and the waits between them.
// DescribeInstances and InquiryInstancePrice, which buy nothing, are retried the same way.
func WithRetry(c Client, p RetryPolicy) Client {
	return &retryClient{inner: c, p: p.withDefaults()}
}

type retryClient struct {
	inner Client
	p     RetryPolicy
}

func (r *retryClient) RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error) {
	var res cvm.RunResult
	obs := observerFrom(ctx)
	err := r.do(ctx, func(ctx context.Context) error {
		if obs != nil && obs.beforeResend != nil && obs.attempts > 0 && obs.lastErr != nil {
			// An earlier attempt may have bought: the caller looks before anything is resent.
			found, stop, err := obs.beforeResend(ctx, obs.lastErr)
			if stop {
				res = found
				return &finalError{err}
			}
		}
		var err error
		res, err = r.inner.RunInstances(ctx, params)
		if obs != nil {
			obs.lastErr = err
		}
		return err
	})
	var fe *finalError
	if errors.As(err, &fe) {
		return res, fe.err
	}
	return res, err
}

// finalError ends the retries of a call with err (nil: the call is resolved without
// another attempt).
type finalError struct{ err error }

func (e *finalError) Error() string {
	if e.err == nil {
		return "resolved without another attempt"
	}
	return e.err.Error()
}

func (r *retryClient) DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error) {
	var res []cvm.Instance
	err := r.do(ctx, func(ctx context.Context) error {
		var err error
		res, err = r.inner.DescribeInstances(ctx, f)
		return err
	})
	return res, err
}

func (r *retryClient) InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error) {
	var res int64
	err := r.do(ctx, func(ctx context.Context) error {
		var err error
		res, err = r.inner.InquiryInstancePrice(ctx, params)
		return err
	})
	return res, err
}

func (r *retryClient) do(ctx context.Context, attempt func(context.Context) error) error {
	obs := observerFrom(ctx)
	start := r.p.Now()
	ceiling := r.p.BaseDelay
	for n := 1; ; n++ {
		err := attempt(ctx)
		var fe *finalError
		if errors.As(err, &fe) {
			return err
		}
		obs.attempt()
		if err == nil || !Retryable(err) || n >= r.p.MaxAttempts || ctx.Err() != nil {
			return err
		}
		delay := r.p.Jitter(ceiling)
		if r.p.Now().Add(delay).Sub(start) > r.p.MaxTime {
			return err
		}
		obs.retry(n, err, delay)
		if serr := r.p.Sleep(ctx, delay); serr != nil {
			return err // interrupted: the last answer stands
		}
		ceiling = min(2*ceiling, r.p.MaxDelay)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// observer lets the executor count the attempts and see the retries of one call through the
// decorators. It travels in the call's context.
type observer struct {
	attempts int // written by the one goroutine that runs the call
	onRetry  func(attempt int, err error, delay time.Duration)
	// beforeResend, when set, is asked before a RunInstances attempt that follows a failed
	// one, with that failure: it may resolve the call instead (stop), with what it found or
	// the error the call ends with.
	beforeResend func(ctx context.Context, last error) (found cvm.RunResult, stop bool, err error)
	lastErr      error // the last attempt's error
}

type observerKey struct{}

func withObserver(ctx context.Context, o *observer) context.Context {
	return context.WithValue(ctx, observerKey{}, o)
}

func observerFrom(ctx context.Context) *observer {
	o, _ := ctx.Value(observerKey{}).(*observer)
	return o
}

func (o *observer) attempt() {
	if o != nil {
		o.attempts++
	}
}

func (o *observer) retry(n int, err error, d time.Duration) {
	if o != nil && o.onRetry != nil {
		o.onRetry(n, err, d)
	}
}

// Detach returns a Client whose attempts, once started, are not cancelled by their context:
// an interrupted apply lets the requests in flight finish so that their answers are recorded.
// The context's values still reach the inner client.
func Detach(c Client) Client { return detached{c} }

type detached struct{ inner Client }

func (d detached) RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error) {
	return d.inner.RunInstances(context.WithoutCancel(ctx), params)
}

func (d detached) DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error) {
	return d.inner.DescribeInstances(context.WithoutCancel(ctx), f)
}

func (d detached) InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error) {
	return d.inner.InquiryInstancePrice(context.WithoutCancel(ctx), params)
}

// WithRateLimit returns a Client that starts at most rate calls a second (every attempt
// counts), spaced evenly: a token bucket holding one token. A rate of 0 or less means no limit.
// Waiting for a slot ends with the context's error when the context is done; nothing is sent
// then.
func WithRateLimit(c Client, rate float64) Client {
	if rate <= 0 {
		return c
	}
	return &limited{inner: c, l: newLimiter(rate, time.Now)}
}

type limited struct {
	inner Client
	l     *limiter
}

func (l *limited) RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error) {
	if err := l.l.wait(ctx); err != nil {
		return cvm.RunResult{}, err
	}
	return l.inner.RunInstances(ctx, params)
}

func (l *limited) DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error) {
	if err := l.l.wait(ctx); err != nil {
		return nil, err
	}
	return l.inner.DescribeInstances(ctx, f)
}

func (l *limited) InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error) {
	if err := l.l.wait(ctx); err != nil {
		return 0, err
	}
	return l.inner.InquiryInstancePrice(ctx, params)
}

// limiter hands out evenly spaced start times.
type limiter struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time // the earliest start of the next call
}

func newLimiter(rate float64, now func() time.Time) *limiter {
	return &limiter{interval: time.Duration(float64(time.Second) / rate), now: now, sleep: sleepCtx}
}

// wait blocks until the caller's turn.
func (l *limiter) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	now := l.now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	return l.sleep(ctx, at.Sub(now))
}
