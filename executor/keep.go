package executor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/state"
	"fleet/planner"
)

// Keeping the fleet: the renewals and renew flags of a plan, applied after its purchases.
//
// RenewInstance takes no client token, so a renewal is made safe by the state instead: the
// instance is journaled as renewing (state.Renewing, with the deadline seen before) before
// the call is sent, and its answer is journaled after. A renewal whose outcome is unknown
// stays renewing. Before anything is sent again, in this apply (the retry decorator asks
// before a resend) or a later one (resolveRenewals, first of all), the instance's deadline is
// read: a deadline later than the one seen before means the renewal was made. So one
// instance is never renewed twice for one plan.
//
// SetAutoRenew is idempotent: flags are not journaled before they are sent, only their
// results after, in calls of at most cvm.MaxAutoRenewIDs instances with one result per
// instance. The instances a purchase of this apply bought get their group's flag
// (planner.GroupPlan.NewFlag) in the same apply.

// Event types of keeping.
const (
	EventRenewStarted = "renew_started" // the renewal was journaled and is being sent
	EventRenewDone    = "renew_done"    // renewed; Deadline is the new deadline
	EventRenewFound   = "renew_found"   // a renewal of an earlier apply was found made: nothing sent
	EventRenewFailed  = "renew_failed"  // refused: nothing was renewed
	EventRenewPending = "renew_pending" // the outcome is unknown; the next apply reads the deadline first
	EventRenewSkipped = "renew_skipped" // not started (interrupt)
	EventFlagDone     = "flag_done"     // the renew flag of InstanceIDs was set to Flag
	EventFlagFailed   = "flag_failed"   // the renew flag of InstanceIDs could not be set
	EventFlagSkipped  = "flag_skipped"  // not sent (interrupt)
)

// KeepResult counts what keeping did.
type KeepResult struct {
	Renewed      int // instances renewed by this apply
	Found        int // renewals of an earlier apply found made (not sent again)
	RenewFailed  int // renewals refused: nothing renewed
	RenewPending int // renewals whose outcome is unknown
	RenewSkipped int // renewals not started
	Flagged      int // instances whose renew flag was set
	FlagFailed   int // instances whose renew flag could not be set
	FlagSkipped  int // instances whose flag was not sent
	Retries      int // attempts of renewals repeated
}

// renewal is one renewal being applied.
type renewal struct {
	group    string
	r        *planner.Renewal
	deadline *time.Time // the new deadline when done
	err      error
	tries    int
	retries  int
}

// Keeps reports whether applying p renews instances or sets flags, or st (nil: no state)
// holds renewals of unknown outcome to resolve.
func Keeps(p *planner.Plan, st *state.State) bool {
	for _, g := range p.Groups {
		if len(g.Renewals) > 0 || len(g.Flags) > 0 || len(g.Unresolved) > 0 || g.NewFlag != nil && len(g.Calls) > 0 {
			return true
		}
	}
	if st == nil {
		return false
	}
	for _, g := range st.Groups {
		for _, in := range g.Instances {
			if in != nil && in.Renewing != nil {
				return true
			}
		}
	}
	return false
}

// keep applies the renewals and flags of p. It returns an error only when the journal cannot
// be written.
func (x *applier) keep(ctx context.Context, p *planner.Plan) error {
	unresolved, err := x.resolveRenewals(ctx)
	if err != nil {
		return err
	}
	var todo []*renewal
	for _, g := range p.Groups {
		for _, r := range g.Renewals {
			in := x.instance(g.Name, r.InstanceID)
			switch {
			case in == nil:
				x.renewFailed(&renewal{group: g.Name, r: r, err: fmt.Errorf("instance %s is not recorded in group %s (the plan is stale)", r.InstanceID, g.Name)})
			case unresolved[r.InstanceID]:
				x.renewPending(&renewal{group: g.Name, r: r, err: fmt.Errorf("the outcome of an earlier renewal of %s is still unknown: its deadline could not be read", r.InstanceID)})
			case in.Deadline != nil && in.Deadline.After(r.Deadline):
				// Renewed since the plan was made (an earlier renewal found made above).
			default:
				todo = append(todo, &renewal{group: g.Name, r: r})
			}
		}
	}
	if err := x.renew(ctx, todo); err != nil {
		return err
	}
	return x.setFlags(ctx, p)
}

// instance returns the recorded instance id of group, or nil.
func (x *applier) instance(group, id string) *state.Instance {
	g := x.opts.State.Groups[group]
	if g == nil {
		return nil
	}
	return g.Instance(id)
}

// resolveRenewals reads the deadline of every instance the state records as renewing and
// journals what it shows: renewed (the deadline moved) or not. It returns the instances
// whose deadline could not be read: they stay renewing and are not renewed again.
func (x *applier) resolveRenewals(ctx context.Context) (map[string]bool, error) {
	type ref struct {
		group string
		in    *state.Instance
	}
	var refs []ref
	for _, name := range x.opts.State.GroupNames() {
		g := x.opts.State.Groups[name]
		if g == nil {
			continue
		}
		for _, in := range g.Instances {
			if in != nil && in.Renewing != nil {
				refs = append(refs, ref{name, in})
			}
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.in.ID
	}
	found, _, lookErr := describeByID(ctx, x.opts.Client, ids, x.opts.Parallelism)
	unresolved := map[string]bool{}
	var recs []state.JournalRecord
	var events []Event
	now := x.opts.Now().UTC()
	for _, r := range refs {
		got, ok := found[r.in.ID]
		switch {
		case lookErr != nil || !ok || got.Deadline == nil:
			unresolved[r.in.ID] = true
		case got.Deadline.After(r.in.Renewing.From):
			d := got.Deadline.UTC()
			recs = append(recs, state.JournalRecord{Group: r.group, Instance: &state.InstanceRecord{ID: r.in.ID, Deadline: &d, At: now}})
			events = append(events, Event{Type: EventRenewFound, Group: r.group, InstanceIDs: []string{r.in.ID}, Period: r.in.Renewing.Period, Deadline: &d})
			x.res.Keep.Found++
		default:
			// Not renewed: the renewal was never made. The plan renews it again if it must.
			recs = append(recs, state.JournalRecord{Group: r.group, Instance: &state.InstanceRecord{ID: r.in.ID, At: now}})
		}
	}
	if err := x.journal(recs); err != nil {
		return nil, err
	}
	for _, e := range events {
		x.emit(e)
	}
	return unresolved, nil
}

// journal appends records and applies them to the state.
func (x *applier) journal(recs []state.JournalRecord) error {
	if len(recs) == 0 {
		return nil
	}
	if err := x.opts.Journal.Append(recs...); err != nil {
		return fmt.Errorf("apply: write journal: %w", err)
	}
	for _, r := range recs {
		x.opts.State.Apply(r)
	}
	return nil
}

// renew sends the renewals in waves of at most Parallelism: each wave is journaled as
// renewing in one append, sent in parallel, and its answers journaled in one append.
func (x *applier) renew(ctx context.Context, todo []*renewal) error {
	for len(todo) > 0 {
		if ctx.Err() != nil {
			for _, rn := range todo {
				x.keepRes().RenewSkipped++
				x.emit(Event{Type: EventRenewSkipped, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period, Error: ErrInterrupted.Error()})
			}
			return nil
		}
		wave := todo[:min(len(todo), x.opts.Parallelism)]
		todo = todo[len(wave):]
		now := x.opts.Now().UTC()
		recs := make([]state.JournalRecord, 0, len(wave))
		for _, rn := range wave {
			recs = append(recs, state.JournalRecord{Group: rn.group, Instance: &state.InstanceRecord{ID: rn.r.InstanceID,
				Renewing: &state.Renewing{From: rn.r.Deadline.UTC(), Period: rn.r.Period, At: now}, At: now}})
		}
		if err := x.journal(recs); err != nil {
			for _, rn := range slices.Concat(wave, todo) {
				x.keepRes().RenewSkipped++
				x.emit(Event{Type: EventRenewSkipped, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period, Error: err.Error()})
			}
			return err
		}
		var wg sync.WaitGroup
		for _, rn := range wave {
			x.emit(Event{Type: EventRenewStarted, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period})
			wg.Add(1)
			go func() {
				defer wg.Done()
				x.sendRenewal(ctx, rn)
			}()
		}
		wg.Wait()
		recs = recs[:0]
		now = x.opts.Now().UTC()
		for _, rn := range wave {
			switch {
			case rn.err == nil:
				recs = append(recs, state.JournalRecord{Group: rn.group, Instance: &state.InstanceRecord{ID: rn.r.InstanceID, Deadline: rn.deadline, At: now}})
			case cvm.Refused(rn.err):
				recs = append(recs, state.JournalRecord{Group: rn.group, Instance: &state.InstanceRecord{ID: rn.r.InstanceID, At: now}})
			}
		}
		jerr := x.journal(recs)
		for _, rn := range wave {
			x.keepRes().Retries += rn.retries
			switch {
			case jerr != nil || rn.err != nil && !cvm.Refused(rn.err):
				// Unknown, or known but not recorded: the instance stays renewing, and the
				// next apply reads its deadline before anything else.
				if rn.err == nil {
					rn.err = jerr
				}
				x.renewPending(rn)
			case rn.err != nil:
				x.renewFailed(rn)
			default:
				x.keepRes().Renewed++
				x.emit(Event{Type: EventRenewDone, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period, Deadline: rn.deadline, Attempt: rn.tries})
			}
		}
		if jerr != nil {
			for _, rn := range todo {
				x.keepRes().RenewSkipped++
				x.emit(Event{Type: EventRenewSkipped, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period, Error: jerr.Error()})
			}
			return jerr
		}
	}
	return nil
}

// sendRenewal sends one renewal. Before a resend after an attempt that may have renewed, the
// deadline is read: moved, the renewal is done; not moved, it is sent again; unreadable, the
// outcome stays unknown.
func (x *applier) sendRenewal(ctx context.Context, rn *renewal) {
	id := rn.r.InstanceID
	obs := &observer{
		beforeResend: func(ctx context.Context, last error) (bool, error) {
			if cvm.Refused(last) {
				return false, nil // nothing happened: send again
			}
			list, err := x.opts.Renewer.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: []string{id}})
			if err != nil {
				return true, last
			}
			for _, in := range list {
				if in.ID == id && in.Deadline != nil {
					if in.Deadline.After(rn.r.Deadline) {
						d := in.Deadline.UTC()
						rn.deadline = &d
						return true, nil
					}
					return false, nil
				}
			}
			return true, last
		},
		onRetry: func(int, error, time.Duration) { rn.retries++ },
	}
	_, err := x.opts.Renewer.RenewInstance(withObserver(ctx, obs), id, rn.r.Period)
	rn.tries = max(obs.attempts, 1)
	rn.err = err
	if err == nil && rn.deadline == nil {
		d := rn.r.NewDeadline()
		rn.deadline = &d
	}
}

func (x *applier) keepRes() *KeepResult { return &x.res.Keep }

func (x *applier) renewFailed(rn *renewal) {
	x.keepRes().RenewFailed++
	x.emit(Event{Type: EventRenewFailed, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period,
		Error: rn.err.Error(), Class: cvm.ClassOf(rn.err).String(), Attempt: rn.tries})
}

func (x *applier) renewPending(rn *renewal) {
	x.keepRes().RenewPending++
	x.emit(Event{Type: EventRenewPending, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period,
		Error: rn.err.Error(), Class: cvm.ClassOf(rn.err).String(), Attempt: rn.tries})
}

// flagCall is one SetAutoRenew call: up to cvm.MaxAutoRenewIDs instances of one group.
type flagCall struct {
	group string
	flag  int
	ids   []string
	res   cvm.SetAutoRenewResult
	err   error
}

// setFlags sets the renew flags the plan asks for, and the flag of each group on the
// instances this apply bought for it, in calls of at most cvm.MaxAutoRenewIDs instances.
func (x *applier) setFlags(ctx context.Context, p *planner.Plan) error {
	bought := map[string][]string{}
	for _, o := range x.res.Outcomes {
		if o.Status == state.StatusDone {
			bought[o.Group] = append(bought[o.Group], o.InstanceIDs...)
		}
	}
	var calls []*flagCall
	for _, g := range p.Groups {
		byFlag := map[int][]string{}
		for _, f := range g.Flags {
			byFlag[f.Flag] = append(byFlag[f.Flag], f.InstanceIDs...)
		}
		if g.NewFlag != nil {
			for _, id := range bought[g.Name] {
				if in := x.instance(g.Name, id); in == nil || in.AutoRenew == nil || *in.AutoRenew != *g.NewFlag {
					byFlag[*g.NewFlag] = append(byFlag[*g.NewFlag], id)
				}
			}
		}
		for _, flag := range []int{state.AutoRenewNotify, state.AutoRenewAuto, state.AutoRenewNever} {
			ids := slices.Compact(slices.Sorted(slices.Values(byFlag[flag])))
			for len(ids) > 0 {
				n := min(len(ids), cvm.MaxAutoRenewIDs)
				calls = append(calls, &flagCall{group: g.Name, flag: flag, ids: ids[:n]})
				ids = ids[n:]
			}
		}
	}
	for len(calls) > 0 {
		if ctx.Err() != nil {
			for _, c := range calls {
				x.keepRes().FlagSkipped += len(c.ids)
				x.emit(Event{Type: EventFlagSkipped, Group: c.group, Flag: flagPtr(c.flag), InstanceIDs: c.ids, Error: ErrInterrupted.Error()})
			}
			return nil
		}
		wave := calls[:min(len(calls), x.opts.Parallelism)]
		calls = calls[len(wave):]
		var wg sync.WaitGroup
		for _, c := range wave {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.res, c.err = x.opts.Renewer.SetAutoRenew(ctx, c.ids, c.flag)
			}()
		}
		wg.Wait()
		now := x.opts.Now().UTC()
		var recs []state.JournalRecord
		var events []Event
		for _, c := range wave {
			if c.err != nil {
				x.keepRes().FlagFailed += len(c.ids)
				events = append(events, Event{Type: EventFlagFailed, Group: c.group, Flag: flagPtr(c.flag), InstanceIDs: c.ids, Error: c.err.Error(), Class: cvm.ClassOf(c.err).String()})
				continue
			}
			if ok := c.res.Succeeded(); len(ok) > 0 {
				for _, id := range ok {
					recs = append(recs, state.JournalRecord{Group: c.group, Instance: &state.InstanceRecord{ID: id, AutoRenew: flagPtr(c.flag), At: now}})
				}
				x.keepRes().Flagged += len(ok)
				events = append(events, Event{Type: EventFlagDone, Group: c.group, Flag: flagPtr(c.flag), InstanceIDs: ok})
			}
			for _, it := range c.res.Failed() {
				x.keepRes().FlagFailed++
				events = append(events, Event{Type: EventFlagFailed, Group: c.group, Flag: flagPtr(c.flag), InstanceIDs: []string{it.InstanceID}, Error: it.Err.Error(), Class: it.Err.Class.String()})
			}
		}
		// A flag set but not recorded is set again by the next apply, harmlessly.
		if err := x.journal(recs); err != nil {
			return err
		}
		for _, e := range events {
			x.emit(e)
		}
	}
	return nil
}

func flagPtr(n int) *int { return &n }
