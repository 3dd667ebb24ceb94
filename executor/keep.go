package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
// the call is sent, and its answer is journaled after. A renewal whose answer is neither a
// success nor a refusal is never sent again by the same apply: the instance stays renewing.
// The next apply first reads its deadline (resolveRenewals): a deadline later than the one
// seen before means the renewal was made; one that has not moved means it was not, once
// RenewSettle has passed since it was journaled (before that, it stays renewing). So one
// instance is never renewed twice for one plan. The deadlines are also read before each wave
// of renewals (an instance renewed meanwhile is not renewed again) and after it (the answer
// names no deadline).
//
// SetAutoRenew is idempotent: flags are not journaled before they are sent, only their
// results after, in calls of at most cvm.MaxAutoRenewIDs instances with one result per
// instance. The instances a purchase of this apply bought get their group's flag
// (planner.GroupPlan.NewFlag) in the same apply. A flag set never touches a renewal in
// flight.

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

// Failed reports whether a renewal or a flag failed or was not started: the fleet is not
// kept as the plan said.
func (k KeepResult) Failed() bool {
	return k.RenewFailed+k.RenewSkipped+k.FlagFailed+k.FlagSkipped > 0
}

// Sent reports whether a renewal was sent or found made, or a flag set: the state changed
// in the cloud.
func (k KeepResult) Sent() bool {
	return k.Renewed+k.Found+k.RenewPending+k.Flagged > 0
}

// renewal is one renewal being applied.
type renewal struct {
	group    string
	r        *planner.Renewal
	from     time.Time  // the deadline read just before the renewal was sent
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

// RenewSettle is how long a renewal journaled before it was sent may take to show: until
// then, a deadline that has not moved does not prove that the renewal was not made (the
// API's deal may still be in progress), and the renewal stays in flight, never sent again.
const RenewSettle = 10 * time.Minute

// keep applies the renewals and flags of p. It returns an error only when the journal cannot
// be written.
func (x *applier) keep(ctx context.Context, p *planner.Plan) error {
	unresolved, err := x.resolveRenewals(ctx)
	if err != nil {
		return err
	}
	var todo []*renewal
	planned := map[string]bool{}
	for _, g := range p.Groups {
		for _, r := range g.Renewals {
			planned[r.InstanceID] = true
			in := x.instance(g.Name, r.InstanceID)
			switch {
			case in == nil:
				x.renewFailed(&renewal{group: g.Name, r: r, err: fmt.Errorf("instance %s is not recorded in group %s (the plan is stale)", r.InstanceID, g.Name)})
			case unresolved[r.InstanceID] != nil:
				x.renewPending(&renewal{group: g.Name, r: r, err: unresolved[r.InstanceID].err})
			case in.Deadline != nil && in.Deadline.After(r.Deadline):
				// Renewed since the plan was made: by an earlier renewal found made above,
				// or recorded by an apply since.
			default:
				todo = append(todo, &renewal{group: g.Name, r: r})
			}
		}
	}
	// The expired instances first, whatever their group: they are the first to be released.
	slices.SortStableFunc(todo, func(a, b *renewal) int {
		switch {
		case a.r.Expired == b.r.Expired:
			return 0
		case a.r.Expired:
			return -1
		}
		return 1
	})
	// A renewal in flight that this plan does not renew still leaves the outcome unknown.
	for _, id := range slices.Sorted(maps.Keys(unresolved)) {
		if u := unresolved[id]; !planned[id] {
			x.renewPending(&renewal{group: u.group, r: &planner.Renewal{InstanceID: id, Period: u.period}, err: u.err})
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

// unresolvedRenewal is a renewal in flight whose outcome is still unknown, and why.
type unresolvedRenewal struct {
	group  string
	period int
	err    error
}

// resolveRenewals reads the deadline of every instance the state records as renewing and
// journals what it shows: renewed (the deadline moved past the one seen before), or not made
// (the deadline has not moved, RenewSettle after the renewal was journaled). It returns the
// others, by instance: their deadline could not be read, or the renewal is too recent to
// tell. They stay renewing and are not sent again.
func (x *applier) resolveRenewals(ctx context.Context) (map[string]*unresolvedRenewal, error) {
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
	unresolved := map[string]*unresolvedRenewal{}
	var recs []state.JournalRecord
	var events []Event
	now := x.opts.Now().UTC()
	for _, r := range refs {
		got, ok := found[r.in.ID]
		rn := r.in.Renewing
		keep := func(err error) {
			unresolved[r.in.ID] = &unresolvedRenewal{group: r.group, period: rn.Period, err: err}
		}
		switch {
		case r.in.Gone() || ok && (got.Status == state.InstanceReturned || got.Status == state.InstanceReturning || got.Status == state.InstanceFailed),
			lookErr == nil && !ok && now.After(rn.From.Add(planner.RenewableFor)):
			// Gone, or released with its data past its deadline: nothing is left to renew,
			// whatever became of the renewal.
			recs = append(recs, state.JournalRecord{Group: r.group, Instance: &state.InstanceRecord{ID: r.in.ID, Renewed: true, At: now}})
		case lookErr != nil:
			keep(fmt.Errorf("renewal journaled at %s: its deadline could not be read: %w", rn.At.Format(time.RFC3339), lookErr))
		case !ok || got.Deadline == nil:
			keep(fmt.Errorf("renewal journaled at %s: DescribeInstances shows no deadline for %s", rn.At.Format(time.RFC3339), r.in.ID))
		case got.Deadline.After(rn.From):
			d := got.Deadline.UTC()
			recs = append(recs, state.JournalRecord{Group: r.group, Instance: &state.InstanceRecord{ID: r.in.ID, Deadline: &d, Renewed: true, At: now}})
			events = append(events, Event{Type: EventRenewFound, Group: r.group, InstanceIDs: []string{r.in.ID}, Period: rn.Period, Deadline: &d})
			x.res.Keep.Found++
		case now.Sub(rn.At) < RenewSettle:
			keep(fmt.Errorf("renewal journaled at %s: the deadline has not moved yet, and a renewal may take %s to show; run fleet apply again after %s",
				rn.At.Format(time.RFC3339), RenewSettle, rn.At.Add(RenewSettle).Format(time.RFC3339)))
		default:
			// Not renewed, long enough after it was journaled: the renewal was never made.
			// The plan renews the instance again if it must.
			recs = append(recs, state.JournalRecord{Group: r.group, Instance: &state.InstanceRecord{ID: r.in.ID, Renewed: true, At: now}})
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

// skipRenewals records renewals that were not started.
func (x *applier) skipRenewals(list []*renewal, err error) {
	for _, rn := range list {
		x.keepRes().RenewSkipped++
		x.emit(Event{Type: EventRenewSkipped, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period, Error: err.Error()})
	}
}

// deadlines reads the deadlines of the renewals' instances; nil on error.
func (x *applier) deadlines(ctx context.Context, list []*renewal) map[string]time.Time {
	ids := make([]string, len(list))
	for i, rn := range list {
		ids[i] = rn.r.InstanceID
	}
	found, _, err := describeByID(ctx, x.opts.Client, ids, 1)
	if err != nil {
		return nil
	}
	out := make(map[string]time.Time, len(found))
	for id, in := range found {
		if in.Deadline != nil {
			out[id] = in.Deadline.UTC()
		}
	}
	return out
}

// renew sends the renewals in waves of at most Parallelism. Before a wave, the deadlines are
// read: an instance renewed meanwhile (in the console, by the cloud's own renewal, by
// another apply) is recorded, not renewed again. The wave is journaled as renewing in one
// append, sent in parallel, the new deadlines read back, and the answers journaled in one
// append. A renewal whose answer is not a refusal and not a success is never sent again in
// this apply: it stays renewing, and a later apply reads its deadline first.
func (x *applier) renew(ctx context.Context, todo []*renewal) error {
	for len(todo) > 0 {
		if ctx.Err() != nil {
			x.res.Interrupted = true
			x.skipRenewals(todo, ErrInterrupted)
			return nil
		}
		wave := todo[:min(len(todo), x.opts.Parallelism)]
		todo = todo[len(wave):]
		before := x.deadlines(ctx, wave)
		if before == nil {
			x.skipRenewals(wave, errors.New("not sent: the deadlines could not be read before the renewal"))
			continue
		}
		now := x.opts.Now().UTC()
		var recs []state.JournalRecord
		var send []*renewal
		for _, rn := range wave {
			d, ok := before[rn.r.InstanceID]
			if !ok {
				rn.err = fmt.Errorf("not sent: DescribeInstances does not list %s with a deadline", rn.r.InstanceID)
				x.renewFailed(rn)
				continue
			}
			if d.After(rn.r.Deadline) {
				recs = append(recs, state.JournalRecord{Group: rn.group, Instance: &state.InstanceRecord{ID: rn.r.InstanceID, Deadline: &d, At: now}})
				x.keepRes().Found++
				x.emit(Event{Type: EventRenewFound, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period, Deadline: &d})
				continue
			}
			// The renewal extends the deadline the cloud has now, which the state may not.
			rn.from = d
			send = append(send, rn)
			recs = append(recs, state.JournalRecord{Group: rn.group, Instance: &state.InstanceRecord{ID: rn.r.InstanceID,
				Renewing: &state.Renewing{From: rn.from, Period: rn.r.Period, At: now}, At: now}})
		}
		if err := x.journal(recs); err != nil {
			x.skipRenewals(slices.Concat(send, todo), err)
			return err
		}
		var wg sync.WaitGroup
		for _, rn := range send {
			x.emit(Event{Type: EventRenewStarted, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period})
			wg.Go(func() { x.sendRenewal(ctx, rn) })
		}
		wg.Wait()
		var renewed []*renewal
		for _, rn := range send {
			if rn.err == nil {
				renewed = append(renewed, rn)
			}
		}
		after := map[string]time.Time{}
		if len(renewed) > 0 {
			after = x.deadlines(context.WithoutCancel(ctx), renewed)
		}
		recs = recs[:0]
		now = x.opts.Now().UTC()
		for _, rn := range send {
			switch {
			case rn.err == nil:
				// The answer names no deadline: the one read back, or else the one the
				// renewal should give, recorded as computed (not as read).
				d, read := after[rn.r.InstanceID]
				if !read || !d.After(rn.from) {
					d, read = planner.AddMonths(rn.from, rn.r.Period), false
				}
				rn.deadline = &d
				recs = append(recs, state.JournalRecord{Group: rn.group, Instance: &state.InstanceRecord{ID: rn.r.InstanceID, Deadline: &d, Computed: !read, Renewed: true, At: now}})
			case cvm.Refused(rn.err):
				recs = append(recs, state.JournalRecord{Group: rn.group, Instance: &state.InstanceRecord{ID: rn.r.InstanceID, Renewed: true, At: now}})
			}
		}
		jerr := x.journal(recs)
		for _, rn := range send {
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
			x.skipRenewals(todo, jerr)
			return jerr
		}
	}
	return nil
}

// sendRenewal sends one renewal. The retry decorator repeats it only after an answer that
// shows it took no effect (busy, a rate limit): RenewInstance is not idempotent, and no hook
// is given to look before a resend, so a lost answer leaves the outcome unknown.
func (x *applier) sendRenewal(ctx context.Context, rn *renewal) {
	obs := &observer{onRetry: func(int, error, time.Duration) { rn.retries++ }}
	_, rn.err = x.opts.Renewer.RenewInstance(withObserver(ctx, obs), rn.r.InstanceID, rn.r.Period)
	rn.tries = max(obs.attempts, 1)
}

func (x *applier) keepRes() *KeepResult { return &x.res.Keep }

func (x *applier) renewFailed(rn *renewal) {
	x.keepRes().RenewFailed++
	x.emit(Event{Type: EventRenewFailed, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period,
		Error: rn.err.Error(), Class: cvm.ClassOf(rn.err).String(), Attempt: rn.tries})
}

func (x *applier) renewPending(rn *renewal) {
	x.keepRes().RenewPending++
	e := Event{Type: EventRenewPending, Group: rn.group, InstanceIDs: []string{rn.r.InstanceID}, Period: rn.r.Period,
		Error: rn.err.Error(), Attempt: rn.tries}
	if rn.tries > 0 {
		e.Class = cvm.ClassOf(rn.err).String()
	}
	x.emit(e)
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
	ids, group := x.res.BoughtIDs()
	for _, id := range ids {
		bought[group[id]] = append(bought[group[id]], id)
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
			x.res.Interrupted = true
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
