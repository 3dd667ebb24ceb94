package workflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"fleet/executor"
	"fleet/internal/secret"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// ApplyView shows an apply: the plan, the answer to "buy these?", one event per step of a
// call, the state saved and a closing summary.
type ApplyView interface {
	Diagnostics(diags hcl.Diagnostics)
	Plan(p *planner.Plan) error
	// Approve asks whether to go on with p; it is not called for a saved plan.
	Approve(p *planner.Plan) (bool, error)
	Event(e executor.Event)
	Saved(where string, serial uint64)
	Summary(r *executor.Result)
	Waited(c WaitCounts)
}

// ApplyInput is what an apply works from.
type ApplyInput struct {
	Fleet *spec.Fleet     // the loaded spec; nil when it has no fleet block
	Diags hcl.Diagnostics // every diagnostic of the spec
	Files []spec.File     // the spec files, for a saved plan's staleness
	Saved *planner.File   // the saved plan to apply exactly, or nil
	// SavedName names the saved plan in messages.
	SavedName   string
	Parallelism int
	MaxCostFen  *int64 // ask the price first and buy nothing above it
	Price       bool   // ask the price first and show it with the plan, before the approval
	Wait        bool   // poll until the new instances run
	WaitTimeout time.Duration
	// Groups limits a plan of the spec to these groups (planner.Options.Groups).
	Groups []string
}

// ErrApplyCancelled is returned when the view did not approve the plan.
var ErrApplyCancelled = errors.New("apply cancelled")

// Apply plans the spec against the store's state under its lock (or takes the saved plan),
// shows the plan, checks that nothing of the fleet exists unrecorded before it buys for
// groups the state does not know, asks for approval and applies the plan with every call
// journaled before it is sent, then writes the state. The result is nil when nothing was
// applied. An error that leaves a purchase's outcome unknown wraps ErrUnknownOutcome, as
// does a result whose Unknown reports true.
func Apply(ctx context.Context, env Env, in ApplyInput, v ApplyView) (res *executor.Result, err error) {
	err = locked(ctx, env, "apply", func() error {
		res, err = apply(ctx, env, in, v)
		return err
	})
	return res, err
}

func apply(ctx context.Context, env Env, in ApplyInput, v ApplyView) (*executor.Result, error) {
	st, err := readState(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	var plan *planner.Plan
	if in.Saved != nil {
		if in.Diags.HasErrors() || in.Fleet == nil {
			v.Diagnostics(in.Diags)
			return nil, ErrNotApplyable
		}
		if err := in.Saved.Stale(st, in.Files, in.Fleet.Vars); err != nil {
			return nil, fmt.Errorf("apply %s: %w", in.SavedName, err)
		}
		plan = in.Saved.Plan
	} else {
		f := in.Fleet
		if f == nil {
			f = &spec.Fleet{Diags: in.Diags} // no fleet block: show every diagnostic
		}
		plan = planner.ComputeWith(f, st, planner.Options{Groups: in.Groups, At: env.now()})
	}

	var client executor.Client
	cloud := func() (executor.Client, error) {
		if client != nil {
			return client, nil
		}
		c, err := env.client(plan.Region)
		client = c
		return c, err
	}
	calls := len(plan.Calls()) > 0
	if (in.MaxCostFen != nil || in.Price) && plan.Applyable() && (calls || plan.Summary.Renew > 0) {
		c, err := cloud()
		if err != nil {
			return nil, err
		}
		if err := PricePlan(ctx, c, plan); err != nil {
			return nil, err
		}
	}
	if err := v.Plan(plan); err != nil {
		return nil, fmt.Errorf("write plan: %w", err)
	}
	if !plan.Applyable() {
		return nil, ErrNotApplyable
	}
	if !plan.HasChanges() {
		if _, err := fold(ctx, env, st, "apply"); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if err := CheckMaxCost(plan, in.MaxCostFen); err != nil {
		return nil, err
	}
	// The plan's moves and removes, applied to a copy: what the calls are checked and made
	// against.
	refactored, changes, err := refactor(plan, st)
	if err != nil {
		return nil, err
	}
	var c executor.Client
	keeping := executor.Keeps(plan, refactored)
	if calls || keeping {
		if c, err = cloud(); err != nil {
			return nil, err
		}
		if err := guard(ctx, c, plan, refactored); err != nil {
			return nil, err
		}
	}
	if in.Saved == nil {
		ok, err := v.Approve(plan)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrApplyCancelled
		}
	}

	if len(changes) > 0 {
		// Moves and removes are one state change, durable before any call: a call of a moved
		// group is journaled under its new name only once the record has that name.
		st = refactored
		if err := env.Store.Write(ctx, st, state.Change{Operation: "apply", Summary: strings.Join(changes, "; ")}); err != nil {
			return nil, fmt.Errorf("%w (nothing was moved, removed or sent)", err)
		}
		if !calls && !keeping {
			v.Saved(env.Store.Where(), st.Serial)
			return nil, nil
		}
	}
	if st == nil {
		st = state.New(plan.Fleet, plan.Region)
	}
	journal, err := env.Store.OpenJournal(ctx, st)
	if err != nil {
		return nil, err
	}
	res, applyErr := executor.Apply(ctx, plan, executor.Options{
		Client:      c,
		Renewer:     c,
		State:       st,
		Journal:     journal,
		Secret:      SecretResolver(in.Fleet),
		Parallelism: in.Parallelism,
		Events:      v.Event,
		Now:         env.Now,
	})
	if err := journal.Close(); err != nil && applyErr == nil {
		applyErr = err
	}
	if res != nil && !in.Wait {
		// Groups fail apart: what the others bought is read all the same.
		readBought(ctx, c, st, res, env.now)
	}
	// The write goes on even when ctx is cancelled: the journal holds what it would save.
	wctx := context.WithoutCancel(ctx)
	summary := applySummary(res)
	if forgotten := plan.ForgetLapsed(st); len(forgotten) > 0 {
		summary += "; " + strings.Join(forgotten, "; ")
	}
	if err := env.Store.Write(wctx, st, state.Change{Operation: "apply", Summary: summary}); err != nil {
		if res != nil {
			v.Summary(res)
		}
		if applyErr != nil {
			err = fmt.Errorf("%w; %w", applyErr, err)
		}
		if res != nil && (res.Calls > 0 || res.Keep.Sent()) {
			// What the journal holds of the calls sent may be only their pending records:
			// their outcome, as recorded, is unknown until the next apply resolves it.
			return res, fmt.Errorf("%w: %w (every call and renewal sent was journaled as pending before it was sent; run fleet apply again to resolve them)", ErrUnknownOutcome, err)
		}
		return res, fmt.Errorf("%w (nothing was sent)", err)
	}
	v.Saved(env.Store.Where(), st.Serial)
	if res != nil {
		v.Summary(res)
	}
	if in.Wait && res != nil && res.Bought+res.Adopted > 0 && ctx.Err() == nil {
		counts, werr := wait(ctx, c, st, res, in.WaitTimeout, env.now)
		if err := env.Store.Write(wctx, st, state.Change{Operation: "apply --wait", Summary: fmt.Sprintf("%d running, %d failed, %d creating", counts.Running, counts.Failed, counts.Creating)}); err != nil && werr == nil {
			werr = err
		}
		v.Waited(counts)
		if werr != nil && applyErr == nil {
			applyErr = werr
		}
		if counts.Failed > 0 && applyErr == nil {
			applyErr = fmt.Errorf("%d of the instances bought failed to be created (status -1); the next plan counts them as gone", counts.Failed)
		}
	}
	if applyErr != nil && res != nil && res.Unknown() {
		return res, fmt.Errorf("%w: %w", ErrUnknownOutcome, applyErr)
	}
	return res, applyErr
}

// refactor returns a copy of st with the plan's moves and removes applied (st itself is not
// changed) and one line per change; st and no lines when the plan has none.
func refactor(p *planner.Plan, st *state.State) (*state.State, []string, error) {
	if st == nil {
		return nil, nil, nil
	}
	cp := *st
	cp.Groups = maps.Clone(st.Groups)
	lines, err := p.Refactor(&cp)
	if err != nil {
		return nil, nil, fmt.Errorf("apply: %w; nothing was changed", err)
	}
	if len(lines) == 0 {
		return st, nil, nil
	}
	return &cp, lines, nil
}

// applySummary is the line an apply leaves in the state's history.
func applySummary(r *executor.Result) string {
	if r == nil {
		return "nothing applied"
	}
	parts := []string{fmt.Sprintf("%s bought in %s", countNoun(r.Bought, "instance"), countNoun(r.Calls, "call"))}
	if r.Adopted > 0 {
		parts = append(parts, fmt.Sprintf("%d adopted", r.Adopted))
	}
	if r.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", r.Failed))
	}
	if r.Pending > 0 {
		parts = append(parts, fmt.Sprintf("%d pending", r.Pending))
	}
	if r.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d not started", r.Skipped))
	}
	if k := r.Keep; k.Renewed+k.Found > 0 {
		parts = append(parts, fmt.Sprintf("%s renewed", countNoun(k.Renewed+k.Found, "instance")))
	}
	if k := r.Keep; k.RenewPending > 0 {
		parts = append(parts, fmt.Sprintf("%d renewals pending", k.RenewPending))
	}
	if k := r.Keep; k.Flagged > 0 {
		parts = append(parts, fmt.Sprintf("%d renew flags set", k.Flagged))
	}
	return strings.Join(parts, ", ")
}

// SecretResolver maps the hash of every secret of the spec back to its value.
func SecretResolver(fl *spec.Fleet) executor.SecretResolver {
	known := map[string]string{}
	if fl != nil {
		for _, g := range fl.Groups {
			for k, v := range g.Config.Params() {
				if secret.IsParam(k) && v != "" {
					known[secret.Hash(v)] = v
				}
			}
		}
	}
	return func(hash string) (string, bool) {
		v, ok := known[hash]
		return v, ok
	}
}
