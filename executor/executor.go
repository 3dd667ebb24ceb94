package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/secret"
	"fleet/internal/state"
	"fleet/planner"
)

// DefaultParallelism is the number of calls in flight when Options.Parallelism is 0.
const DefaultParallelism = 4

// Journal is where the executor writes ahead: *state.Journal satisfies it. Append returns
// once the records are durable; records passed in one Append are committed together.
type Journal interface {
	Append(recs ...state.JournalRecord) error
}

// SecretResolver maps the recorded form of a secret (secret.Hash of its value) back to
// the value, or reports false when the value is not known.
type SecretResolver func(hash string) (string, bool)

// Options configure Apply.
type Options struct {
	Client Buyer // usually cvm.API{CVM: WithRetry(Detach(WithRateLimit(cvm client, rate)), policy)}
	// Renewer renews instances and sets renew flags (keep.go); required when the plan renews
	// or sets flags, or the state has renewals of unknown outcome. Usually the same API.
	Renewer Renewer
	State   *state.State // the in-memory state; every journaled record is applied to it
	Journal Journal      // the journal beside the state file
	Secret  SecretResolver
	// Parallelism is the number of calls in flight at once; 0 means DefaultParallelism.
	Parallelism int
	// Events receives progress events. Apply serialises its calls, so it need not be safe for
	// concurrent use; it must not block for long.
	Events func(Event)
	// Now is the clock of the journal's timestamps; nil means time.Now.
	Now func() time.Time
}

// Event types.
const (
	EventCallStarted = "call_started" // the call was journaled as pending and is being sent
	EventCallRetried = "call_retried" // an attempt failed with a retryable error; another follows
	EventCallDone    = "call_done"    // the API answered with success; the answer is journaled
	EventCallFailed  = "call_failed"  // the API refused the call (or it could not be sent); nothing was bought
	EventCallPending = "call_pending" // the outcome is unknown; the call stays pending for the next apply
	EventCallSkipped = "call_skipped" // the call was not started (interrupt, or its group failed)
)

// Event is one step of an apply, for progress views and JSON logs. It carries no secret.
type Event struct {
	Type        string   `json:"type"`
	Group       string   `json:"group"`
	Seq         int      `json:"seq"`
	ClientToken string   `json:"client_token,omitempty"`
	GoodsNum    int      `json:"goods_num"`
	Resume      bool     `json:"resume,omitempty"`
	Attempt     int      `json:"attempt,omitempty"`  // call_retried: the attempt that failed; done/failed/pending: attempts in all
	DelayMS     int64    `json:"delay_ms,omitempty"` // call_retried: wait before the next attempt
	InstanceIDs []string `json:"instance_ids,omitempty"`
	Error       string   `json:"error,omitempty"`
	Class       string   `json:"class,omitempty"`
	Marker      string   `json:"marker,omitempty"` // call_adopted: the instance-name marker that found the instances
	// Renewals and renew flags (keep.go): the months of a renewal, the deadline it left,
	// the flag set.
	Period   int        `json:"period,omitempty"`
	Deadline *time.Time `json:"deadline,omitempty"`
	Flag     *int       `json:"flag,omitempty"`
}

// Outcome statuses beyond the batch statuses of the state.
const (
	OutcomeSkipped = "skipped" // never journaled, never sent
)

// Outcome is what became of one call of the plan.
type Outcome struct {
	Group       string
	Seq         int
	ClientToken string
	GoodsNum    int
	Resume      bool
	Status      string // state.StatusDone, StatusFailed, StatusPending, or OutcomeSkipped
	InstanceIDs []string
	Attempts    int
	Err         error // why the call failed, stays pending, or was skipped
	Adopted     bool  // done without sending: the instances were found by the call's name marker
}

// Result sums up an apply.
type Result struct {
	Outcomes []*Outcome // in the order the calls were started or skipped
	Calls    int        // calls sent
	Done     int
	Failed   int
	Pending  int // calls whose outcome is unknown: the next apply resolves them
	Skipped  int // calls not started
	Bought   int // instance ids received
	Adopted  int // instance ids found by the name marker of pending calls (not sent again)
	Retries  int
	Elapsed  time.Duration
	// Interrupted reports that the context was cancelled before every call was started.
	Interrupted bool
	// Keep counts the renewals and renew flags.
	Keep KeepResult
}

// BoughtIDs returns the instances the calls bought or adopted, each once, in the order of the
// outcomes, and the group of each.
func (r *Result) BoughtIDs() (ids []string, group map[string]string) {
	group = map[string]string{}
	for _, o := range r.Outcomes {
		if o.Status != state.StatusDone {
			continue
		}
		for _, id := range o.InstanceIDs {
			if _, dup := group[id]; !dup {
				group[id] = o.Group
				ids = append(ids, id)
			}
		}
	}
	return ids, group
}

// Unknown reports whether any call's or renewal's outcome is unknown, so that another apply
// is needed to reconcile.
func (r *Result) Unknown() bool { return r.Pending > 0 || r.Keep.RenewPending > 0 }

// ErrSecretUnknown is returned (wrapped) for a call whose recorded secret hash matches no value
// supplied to this apply. Such a call is not sent.
var ErrSecretUnknown = errors.New("secret value not supplied")

// ErrInterrupted is the error of calls skipped because the apply was interrupted.
var ErrInterrupted = errors.New("apply interrupted before the call was started")

// errGroupFailed is the error of calls skipped because an earlier call of their group failed.
var errGroupFailed = errors.New("skipped: an earlier call of the group failed")

// Apply sends the calls of p: resumed calls first, then new purchases in plan order, each one
// journaled before it is sent and after it is answered. A resumed call whose instance name
// carries a marker is looked up by it first and adopted, not sent, when its instances exist. It returns an error only when it
// cannot keep its promises (bad options, an invalid plan, a journal that cannot be written);
// the fate of each call is in the Result. Cancelling ctx starts nothing new and stops retries.
func Apply(ctx context.Context, p *planner.Plan, opts Options) (*Result, error) {
	if opts.Client == nil || opts.State == nil || opts.Journal == nil {
		return nil, errors.New("apply: client, state and journal are required")
	}
	if p == nil {
		return nil, errors.New("apply: no plan")
	}
	if p.Diagnostics.HasErrors() {
		return nil, errors.New("apply: the plan has errors and cannot be applied")
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	x := &applier{opts: opts, res: &Result{}, failedGroups: map[string]bool{}, prepared: map[seqKey]bool{}, markers: map[*planner.Call]string{}}
	start := opts.Now()
	var resumes, fresh []*planner.Call
	for _, g := range p.Groups {
		if g.Action == planner.ActionInvalid {
			return nil, fmt.Errorf("apply: group %s is invalid", g.Name)
		}
		for _, c := range g.Calls {
			if c.Group == "" {
				c.Group = g.Name
			}
			x.markers[c] = p.CallMarker(c)
			if c.Resume {
				resumes = append(resumes, c)
			} else {
				fresh = append(fresh, c)
			}
		}
	}
	resumes, err := x.adopt(ctx, resumes)
	if err != nil {
		x.skipAll(resumes, err)
	} else {
		err = x.phase(ctx, resumes)
	}
	if err == nil {
		err = x.phase(ctx, fresh)
	} else {
		x.skipAll(fresh, err)
	}
	if err == nil && Keeps(p, opts.State) {
		if opts.Renewer == nil {
			err = errors.New("apply: the plan renews instances or sets renew flags, and no renewer was given")
		} else {
			err = x.keep(ctx, p)
		}
	}
	x.res.Elapsed = opts.Now().Sub(start)
	for _, o := range x.res.Outcomes {
		if errors.Is(o.Err, ErrInterrupted) {
			x.res.Interrupted = true
		}
	}
	return x.res, err
}

type applier struct {
	opts         Options
	res          *Result
	failedGroups map[string]bool          // groups with a failed call: their later calls are skipped
	prepared     map[seqKey]bool          // calls prepared so far: a seq is sent at most once an apply
	markers      map[*planner.Call]string // the marker of each call of the plan (Plan.CallMarker)

	mu sync.Mutex // serialises Events
}

func (x *applier) emit(e Event) {
	if x.opts.Events == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.opts.Events(e)
}

// journal appends records, durably, and applies them to the state.
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

// job is one call being applied.
type job struct {
	call    *planner.Call
	batch   *state.Batch      // the pending record
	clear   map[string]string // the parameters as sent, secrets in clear
	prior   int               // attempts of earlier applies
	res     cvm.RunResult
	err     error
	retries int
	tries   int
	unsure  bool // an earlier attempt of this apply failed in a way that may hide a purchase
	// found are the instances the call's marker listed before a resend (lookBeforeResend);
	// adopted reports that they are all the call asked for, so the call is done with them.
	found   []string
	adopted bool
}

// phase applies calls with at most Parallelism in flight. Pending records of calls started
// together and the answers that arrived meanwhile are committed in one Append.
func (x *applier) phase(ctx context.Context, calls []*planner.Call) error {
	finished := make(chan *job)
	inflight, next := 0, 0
	var answers []*job
	var fatal error
	for {
		var starts []*job
		for fatal == nil && ctx.Err() == nil && next < len(calls) && inflight+len(starts) < x.opts.Parallelism {
			c := calls[next]
			next++
			if x.failedGroups[c.Group] && !c.Resume {
				x.skip(c, errGroupFailed)
				continue
			}
			j, err := x.prepare(c)
			if err != nil {
				x.unsent(c, err)
				continue
			}
			starts = append(starts, j)
		}
		if fatal == nil && (len(starts) > 0 || len(answers) > 0) {
			recs := make([]state.JournalRecord, 0, len(starts)+len(answers))
			for _, j := range answers {
				recs = append(recs, state.JournalRecord{Group: j.call.Group, Batch: j.batch})
			}
			for _, j := range starts {
				recs = append(recs, state.JournalRecord{Group: j.call.Group, Batch: j.batch})
			}
			if err := x.opts.Journal.Append(recs...); err != nil {
				// Nothing of starts was sent: they are dropped. The answers are still
				// recorded in the state, which the caller writes at the end; should that
				// fail too, their pending records are durable and the next apply resolves
				// them by token.
				fatal = fmt.Errorf("apply: write journal: %w", err)
				for _, j := range starts {
					x.skip(j.call, fatal)
				}
				starts = nil
			} else {
				for _, j := range starts {
					x.opts.State.Apply(state.JournalRecord{Group: j.call.Group, Batch: j.batch})
				}
			}
			for _, j := range answers {
				x.opts.State.Apply(state.JournalRecord{Group: j.call.Group, Batch: j.batch})
				x.report(j)
			}
			answers = nil
		}
		for _, j := range starts {
			x.res.Calls++
			x.emit(Event{Type: EventCallStarted, Group: j.call.Group, Seq: j.call.Seq, ClientToken: j.call.ClientToken, GoodsNum: j.call.GoodsNum, Resume: j.call.Resume})
			inflight++
			go x.send(ctx, j, finished)
		}
		if inflight == 0 {
			if fatal != nil || ctx.Err() != nil || next >= len(calls) {
				break
			}
			continue
		}
		j := <-finished
		inflight--
		if fatal != nil {
			// The journal is broken: the answer goes to the state only (see above).
			x.answer(j)
			x.opts.State.Apply(state.JournalRecord{Group: j.call.Group, Batch: j.batch})
			x.report(j)
			continue
		}
		answers = append(answers, x.answer(j))
	drain:
		for inflight > 0 {
			select {
			case j := <-finished:
				inflight--
				answers = append(answers, x.answer(j))
			default:
				break drain
			}
		}
	}
	if fatal == nil && ctx.Err() != nil {
		for _, c := range calls[next:] {
			x.skip(c, ErrInterrupted)
		}
	} else {
		for _, c := range calls[next:] {
			x.skip(c, fatal)
		}
	}
	return fatal
}

func (x *applier) skipAll(calls []*planner.Call, err error) {
	for _, c := range calls {
		x.skip(c, err)
	}
}

// seqKey names one batch of one group.
type seqKey struct {
	group string
	seq   int
}

// prepare builds the pending record of c and its parameters in clear.
func (x *applier) prepare(c *planner.Call) (*job, error) {
	k := seqKey{c.Group, c.Seq}
	if x.prepared[k] {
		return nil, fmt.Errorf("call %s #%d: the plan holds seq %d of the group twice (the plan is corrupt)", c.Group, c.Seq, c.Seq)
	}
	x.prepared[k] = true
	clear := make(map[string]string, len(c.Params))
	for k, v := range c.Params {
		if secret.IsParam(k) {
			value, ok := x.resolve(v)
			if !ok {
				return nil, fmt.Errorf("call %s #%d: parameter %s: %w (its hash is %s; supply the value the call was planned with)", c.Group, c.Seq, k, ErrSecretUnknown, v)
			}
			v = value
		}
		clear[k] = v
	}
	now := x.opts.Now().UTC()
	b := &state.Batch{
		Seq:         c.Seq,
		Kind:        state.KindRun,
		ClientToken: c.ClientToken,
		Marker:      x.markers[c],
		GoodsNum:    c.GoodsNum,
		Params:      copyParams(c.Params),
		Status:      state.StatusPending,
		DealIDs:     []string{},
		InstanceIDs: []string{},
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	prior := 0
	if old := x.findBatch(c.Group, c.Seq); old != nil {
		if c.Resume {
			if old.ClientToken != c.ClientToken {
				return nil, fmt.Errorf("call %s #%d: the plan's token %s differs from the recorded token %s", c.Group, c.Seq, c.ClientToken, old.ClientToken)
			}
			b.CreatedAt = old.CreatedAt
			b.Error = old.Error
			if b.Marker == "" {
				b.Marker = old.Marker
			}
			prior = old.Attempts
			b.Attempts = prior
			if old.Status != state.StatusPending {
				return nil, fmt.Errorf("call %s #%d: the recorded batch is %s, not pending (the plan is stale)", c.Group, c.Seq, old.Status)
			}
		} else {
			// A fresh call never reuses the seq of a batch the state holds.
			return nil, fmt.Errorf("call %s #%d: the state already holds batch %d of the group (the plan is stale)", c.Group, c.Seq, c.Seq)
		}
	}
	return &job{call: c, batch: b, clear: clear, prior: prior}, nil
}

func (x *applier) resolve(hash string) (string, bool) {
	if x.opts.Secret == nil {
		return "", false
	}
	return x.opts.Secret(hash)
}

func (x *applier) findBatch(group string, seq int) *state.Batch {
	g := x.opts.State.Groups[group]
	if g == nil {
		return nil
	}
	for _, b := range g.Batches {
		if b.Seq == seq {
			return b
		}
	}
	return nil
}

// send makes the call through the Client. It runs in its own goroutine.
func (x *applier) send(ctx context.Context, j *job, finished chan<- *job) {
	obs := &observer{beforeResend: func(ctx context.Context, last error) (bool, error) {
		return x.lookBeforeResend(ctx, j, last)
	}, onRetry: func(attempt int, err error, delay time.Duration) {
		if !answeredUnbought(err) {
			j.unsure = true
		}
		err = redact(err, j.secrets())
		j.retries++
		e := Event{Type: EventCallRetried, Group: j.call.Group, Seq: j.call.Seq, ClientToken: j.call.ClientToken, GoodsNum: j.call.GoodsNum, Resume: j.call.Resume, Attempt: j.prior + attempt, DelayMS: delay.Milliseconds(), Error: err.Error(), Class: cvm.ClassOf(err).String()}
		x.emit(e)
	}}
	j.res, j.err = x.opts.Client.RunInstances(withCallLabel(withObserver(ctx, obs), j.call.Group, j.call.Seq), j.clear)
	j.err = redact(j.err, j.secrets())
	j.tries = max(obs.attempts, 1)
	finished <- j
}

// answer turns the reply of a job into its next record.
func (x *applier) answer(j *job) *job {
	b := *j.batch
	b.Attempts = j.prior + j.tries
	b.UpdatedAt = x.opts.Now().UTC()
	switch {
	case j.adopted:
		b.Status = state.StatusDone
		b.Adopted = true
		b.Error = nil
		b.InstanceIDs = j.found
	case len(j.found) > 0:
		// A listing that lags: what it shows is recorded, the call stays pending.
		b.Status = state.StatusPending
		b.Error = batchError(j.err)
		b.InstanceIDs = j.found
	case j.err == nil:
		b.Status = state.StatusDone
		b.Error = nil
		b.DealIDs = append([]string{}, j.res.DealIDs...)
		b.InstanceIDs = append([]string{}, j.res.AllInstanceIDs()...)
	case Definitive(j.err) && !j.mayHaveBought():
		b.Status = state.StatusFailed
		b.Error = batchError(j.err)
		if !j.call.Resume {
			// The group's later calls would be refused alike: they are not started. A
			// resumed call carries older parameters, so its refusal says nothing of them.
			x.failedGroups[j.call.Group] = true
		}
	default:
		b.Status = state.StatusPending
		b.Error = batchError(j.err)
	}
	j.batch = &b
	return j
}

// report records the journaled answer of j in the result and emits its event.
func (x *applier) report(j *job) {
	b := j.batch
	var err error
	if b.Status != state.StatusDone {
		err = j.err
	}
	x.settle(j, b.Status, err)
}

// settle records the final outcome of a sent call.
func (x *applier) settle(j *job, status string, err error) {
	c := j.call
	o := &Outcome{Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Resume: c.Resume, Status: status, Attempts: j.prior + j.tries, Err: err}
	x.res.Retries += j.retries
	e := Event{Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Resume: c.Resume, Attempt: o.Attempts}
	if err != nil {
		e.Error = err.Error()
		e.Class = cvm.ClassOf(err).String()
	}
	switch {
	case status == state.StatusDone && j.batch.Adopted:
		o.InstanceIDs, o.Adopted = j.batch.InstanceIDs, true
		e.InstanceIDs, e.Marker = o.InstanceIDs, j.batch.Marker
		x.res.Done++
		x.res.Adopted += len(o.InstanceIDs)
		e.Type = EventCallAdopted
	case status == state.StatusDone:
		o.InstanceIDs = j.batch.InstanceIDs
		e.InstanceIDs = o.InstanceIDs
		x.res.Done++
		x.res.Bought += len(o.InstanceIDs)
		e.Type = EventCallDone
	case status == state.StatusFailed:
		x.res.Failed++
		e.Type = EventCallFailed
	default:
		x.res.Pending++
		e.Type = EventCallPending
	}
	x.res.Outcomes = append(x.res.Outcomes, o)
	x.emit(e)
}

// unsent records a call that could not be prepared: nothing was journaled or sent. A resumed
// call keeps its pending record, so its outcome stays unknown.
func (x *applier) unsent(c *planner.Call, err error) {
	o := &Outcome{Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Resume: c.Resume, Err: err}
	e := Event{Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Resume: c.Resume, Error: err.Error()}
	if c.Resume {
		o.Status = state.StatusPending
		x.res.Pending++
		e.Type = EventCallPending
	} else {
		o.Status = state.StatusFailed
		x.res.Failed++
		e.Type = EventCallFailed
		x.failedGroups[c.Group] = true
	}
	x.res.Outcomes = append(x.res.Outcomes, o)
	x.emit(e)
}

// skip records a call that was never started.
func (x *applier) skip(c *planner.Call, err error) {
	if c.Resume {
		// A resumed call keeps its pending record: its outcome is still unknown.
		x.res.Pending++
		x.res.Outcomes = append(x.res.Outcomes, &Outcome{Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Resume: true, Status: state.StatusPending, Err: err})
		x.emit(Event{Type: EventCallPending, Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Resume: true, Error: errString(err)})
		return
	}
	x.res.Skipped++
	x.res.Outcomes = append(x.res.Outcomes, &Outcome{Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Status: OutcomeSkipped, Err: err})
	x.emit(Event{Type: EventCallSkipped, Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Error: errString(err)})
}

// Definitive reports whether err is a refusal of the API after which nothing was bought and
// the same call would be refused again: bad parameters, credentials, balance, quota, an
// instance that cannot take the operation, or a timestamp outside the API's window (a local
// clock that is off). A token reused with other parameters is not definitive: something was
// bought with it.
func Definitive(err error) bool {
	var e *cvm.Error
	if errors.As(err, &e) && e.Name == "InvalidParameter.IdempotentParameterMismatch" {
		return false
	}
	switch cvm.ClassOf(err) {
	case cvm.ClassParameter, cvm.ClassAuth, cvm.ClassBalance, cvm.ClassQuota, cvm.ClassClock, cvm.ClassState:
		return true
	}
	return false
}

// mayHaveBought reports whether the call may have bought although its last attempt was
// refused: an earlier attempt of this apply failed in a way that may hide a purchase, or the
// call is resumed and the refusal is one the API makes before it looks the client token up
// (credentials, or a timestamp outside its window): it says nothing of an earlier attempt.
// Such a call stays pending; the next apply resolves it by its marker or its token.
func (j *job) mayHaveBought() bool {
	if j.unsure {
		return true
	}
	class := cvm.ClassOf(j.err)
	return j.call.Resume && (class == cvm.ClassAuth || class == cvm.ClassClock)
}

// answeredUnbought reports whether a failed attempt was answered by the API with an error
// code (busy, rate limit, timestamp...), which shows that it bought nothing (cvm.Refused). A
// transport error, an answer that could not be read or an internal error of the API may hide
// one.
func answeredUnbought(err error) bool { return cvm.Refused(err) }

func batchError(err error) *state.BatchError {
	be := &state.BatchError{Message: err.Error(), Class: cvm.ClassOf(err).String()}
	var e *cvm.Error
	if errors.As(err, &e) {
		be.Code = e.Code
		be.Name = e.Name
		if e.Err == nil && e.Message != "" {
			be.Message = e.Message
		}
	}
	return be
}

func copyParams(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// secrets returns the clear values of the job's secret parameters.
func (j *job) secrets() []string { return secretsOf(j.clear) }

// redact returns err with every secret value masked in its text, in any encoding an answer
// may echo it in (secret.Mask), so that an echo of a password reaches neither the journal,
// nor the state, nor any event or output. The text of every error the executor records or
// reports for a call passes through it. A *cvm.Error keeps its fields and class, and errors.Is
// still matches (cvm.MaskError).
func redact(err error, secrets []string) error {
	return cvm.MaskError(err, secrets...)
}
