package executor

import (
	"context"
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

// WithRetry returns a Transport that repeats a failed attempt while the error is Retryable,
// with exponential backoff and full jitter, within the policy's bounds, for every action
// alike. The parameters (and so a client token) are the same in every attempt; the inner
// transport draws a fresh Nonce and Timestamp per attempt. Cancelling the context stops the
// retries and the waits between them. Call returns the answer and error of the last attempt.
//
// An attempt that may have taken effect (cvm.Refused is false: a transport error, HTTP 5xx,
// an internal error) is sent again only when that cannot do it twice: when the action is
// cvm.Idempotent (reads, SetAutoRenew, RunInstances with its clientToken), or when the
// call's context carries a hook that looks before each resend (see observer.beforeResend)
// and lets it. RenewInstance, which takes no client token, is thus not resent after such an
// error without a hook: its error is returned, and the caller finds out by reading the
// deadline. Errors that show nothing happened (busy, a rate limit) are retried for every
// action.
func WithRetry(t cvm.Transport, p RetryPolicy) cvm.Transport {
	return &retrying{inner: t, p: p.withDefaults()}
}

type retrying struct {
	inner cvm.Transport
	p     RetryPolicy
}

func (r *retrying) Call(ctx context.Context, action string, params map[string]string) (cvm.Answer, error) {
	obs := observerFrom(ctx)
	start := r.p.Now()
	ceiling := r.p.BaseDelay
	for n := 1; ; n++ {
		ans, err := r.inner.Call(ctx, action, params)
		obs.attempt()
		if err == nil || !Retryable(err) || n >= r.p.MaxAttempts || ctx.Err() != nil {
			return ans, err
		}
		hook := obs.hook()
		if hook == nil && !cvm.Idempotent(action, params) && !cvm.Refused(err) {
			// Sent again, an attempt that may have taken effect could take it twice.
			return ans, err
		}
		delay := r.p.Jitter(ceiling)
		if r.p.Now().Add(delay).Sub(start) > r.p.MaxTime {
			return ans, err
		}
		obs.retry(n, err, delay)
		if serr := r.p.Sleep(ctx, delay); serr != nil {
			return ans, err // interrupted: the last answer stands
		}
		ceiling = min(2*ceiling, r.p.MaxDelay)
		if hook != nil {
			if stop, herr := obs.resolve(ctx, hook, err); stop {
				if herr == nil {
					herr = cvm.ErrResolved
				}
				return nil, herr
			}
		}
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
// decorators, and look before a resend. It travels in the call's context; it is used by the
// one goroutine that runs the call, and by the calls its hook makes in that goroutine.
type observer struct {
	attempts int // attempts of the call, and of the calls its hook made
	onRetry  func(attempt int, err error, delay time.Duration)
	// beforeResend, when set, is asked before an attempt that follows a failed one, whatever
	// the action, with that failure. It may resolve the call instead (stop): the call then
	// ends with err; when err is nil, the transport answers cvm.ErrResolved, and the typed
	// method returns its zero value and no error: whatever the hook found reaches its maker
	// through the hook's closure. The calls the hook makes are not looked before.
	beforeResend func(ctx context.Context, last error) (stop bool, err error)
	resolving    bool // the hook is running
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

// hook returns the hook to ask before a resend, nil when there is none or when it is running
// (the call is one the hook makes).
func (o *observer) hook() func(ctx context.Context, last error) (bool, error) {
	if o == nil || o.resolving {
		return nil
	}
	return o.beforeResend
}

// resolve asks hook, marking it as running meanwhile.
func (o *observer) resolve(ctx context.Context, hook func(context.Context, error) (bool, error), last error) (bool, error) {
	o.resolving = true
	defer func() { o.resolving = false }()
	return hook(ctx, last)
}

// Detach returns a Transport whose attempts, once started, are not cancelled by their
// context: an interrupted apply lets the requests in flight finish so that their answers are
// recorded. The context's values still reach the inner transport.
func Detach(t cvm.Transport) cvm.Transport { return detached{t} }

type detached struct{ inner cvm.Transport }

func (d detached) Call(ctx context.Context, action string, params map[string]string) (cvm.Answer, error) {
	return d.inner.Call(context.WithoutCancel(ctx), action, params)
}

// WithRateLimit returns a Transport that starts at most rate attempts a second, spaced
// evenly: WithLimiter(t, NewLimiter(rate)). A rate of 0 or less means no limit.
func WithRateLimit(t cvm.Transport, rate float64) cvm.Transport {
	return WithLimiter(t, NewLimiter(rate))
}

// WithLimiter returns a Transport whose every attempt waits for its turn from l; several
// transports wrapped with one Limiter share its budget (the CVM and trade modules count
// against one account). A nil Limiter means no limit: t itself. Waiting for a turn ends with
// the context's error when the context is done; nothing is sent then.
func WithLimiter(t cvm.Transport, l *Limiter) cvm.Transport {
	if l == nil {
		return t
	}
	return &limited{inner: t, l: l}
}

type limited struct {
	inner cvm.Transport
	l     *Limiter
}

func (l *limited) Call(ctx context.Context, action string, params map[string]string) (cvm.Answer, error) {
	if err := l.l.wait(ctx); err != nil {
		return nil, err
	}
	return l.inner.Call(ctx, action, params)
}

// NewLimiter returns a Limiter of rate starts a second, nil (no limit) when rate is 0 or less.
func NewLimiter(rate float64) *Limiter {
	if rate <= 0 {
		return nil
	}
	return newLimiter(rate, time.Now)
}

// Limiter hands out evenly spaced start times: a token bucket holding one token. It is safe
// for concurrent use.
type Limiter struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time // the earliest start of the next call
}

func newLimiter(rate float64, now func() time.Time) *Limiter {
	return &Limiter{interval: time.Duration(float64(time.Second) / rate), now: now, sleep: sleepCtx}
}

// wait blocks until the caller's turn.
func (l *Limiter) wait(ctx context.Context) error {
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
