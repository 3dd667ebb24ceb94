package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fleet/executor"
	"fleet/internal/state"
)

// Env is what every workflow works with: the state's store, the cloud (a client made on
// demand for a region, already wrapped with retries and a rate limit), a clock and how long
// to wait for the state lock.
type Env struct {
	Store       state.Store
	Client      func(region string) (executor.Client, error)
	Now         func() time.Time
	LockTimeout time.Duration
}

func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

func (e Env) client(region string) (executor.Client, error) {
	if e.Client == nil {
		return nil, errors.New("no cloud client configured")
	}
	return e.Client(region)
}

// ErrUnknownOutcome is wrapped by the errors of workflows that stopped with a purchase or a
// renewal whose outcome is unknown: another apply reconciles it.
var ErrUnknownOutcome = errors.New("a purchase's or a renewal's outcome is unknown")

// ErrNotApplyable is returned by Apply for a plan with errors; the plan was shown.
var ErrNotApplyable = errors.New("the plan cannot be applied")

// locked takes the store's lock for op, runs fn and releases it.
func locked(ctx context.Context, env Env, op string, fn func() error) error {
	l, err := env.Store.Lock(ctx, op, env.LockTimeout)
	if err != nil {
		return err
	}
	err = fn()
	if uerr := l.Unlock(); err == nil && uerr != nil {
		err = uerr
	}
	return err
}

// readState reads the store's state; a store without one gives nil.
func readState(ctx context.Context, s state.Store) (*state.State, error) {
	st, err := s.Read(ctx)
	if errors.Is(err, state.ErrNoState) {
		return nil, nil
	}
	return st, err
}

// countNoun returns "1 instance" or "2 instances".
func countNoun(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// fold saves a state that holds journal records left by an interrupted apply, so that the
// next command that takes the lock folds them in even when it has nothing else to write.
// It reports whether it wrote.
func fold(ctx context.Context, env Env, st *state.State, op string) (bool, error) {
	if st == nil || st.Journaled == 0 {
		return false, nil
	}
	err := env.Store.Write(ctx, st, state.Change{Operation: op, Summary: fmt.Sprintf("folded %s of an interrupted apply", countNoun(st.Journaled, "journal record"))})
	return err == nil, err
}
