package executor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fleet/internal/cvm"
	"fleet/internal/secret"
	"fleet/internal/state"
	"fleet/planner"
)

const testPassword = "Passw0rd!x"

func newState() *state.State {
	return &state.State{FormatVersion: state.FormatVersion, Lineage: "l-1", Fleet: "prod", Region: "ap-guangzhou", Groups: map[string]*state.Group{}}
}

func token(group string, seq int) string { return fmt.Sprintf("prod-%s-%d", group, seq) }

func newCall(group string, seq, goods int) *planner.Call {
	return &planner.Call{Group: group, Seq: seq, ClientToken: token(group, seq), GoodsNum: goods, Params: map[string]string{
		"cpu": "1", "mem": "1", "imageId": "img-abcdefgh", "period": "1",
		"goodsNum": strconv.Itoa(goods), "clientToken": token(group, seq),
		"password": secret.Hash(testPassword),
	}}
}

func newPlan(calls ...*planner.Call) *planner.Plan {
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou"}
	byGroup := map[string]*planner.GroupPlan{}
	for _, c := range calls {
		g := byGroup[c.Group]
		if g == nil {
			g = &planner.GroupPlan{Name: c.Group, Action: planner.ActionPurchase}
			byGroup[c.Group] = g
			p.Groups = append(p.Groups, g)
		}
		if c.Resume {
			g.Action = planner.ActionResume
		}
		g.Calls = append(g.Calls, c)
	}
	return p
}

func resolver(hash string) (string, bool) {
	if hash == secret.Hash(testPassword) {
		return testPassword, true
	}
	return "", false
}

type fixture struct {
	client  *fakeClient
	journal *fakeJournal
	state   *state.State
	events  []Event
}

func newFixture() *fixture {
	return &fixture{client: newFake(), journal: &fakeJournal{}, state: newState()}
}

func (f *fixture) opts(c Buyer) Options {
	if c == nil {
		c = f.client
	}
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return Options{
		Client: c, State: f.state, Journal: f.journal, Secret: resolver,
		Events: func(e Event) { f.events = append(f.events, e) },
		Now:    func() time.Time { clock = clock.Add(time.Millisecond); return clock },
	}
}

// noSleep is a retry policy that does not wait.
func noSleep(attempts int) RetryPolicy {
	return RetryPolicy{MaxAttempts: attempts, Sleep: func(context.Context, time.Duration) error { return nil }}
}

func batch(t *testing.T, st *state.State, group string, seq int) *state.Batch {
	t.Helper()
	g := st.Groups[group]
	if g == nil {
		t.Fatalf("state has no group %s", group)
	}
	for _, b := range g.Batches {
		if b.Seq == seq {
			return b
		}
	}
	t.Fatalf("state has no batch %s #%d", group, seq)
	return nil
}

func TestApplySuccess(t *testing.T) {
	f := newFixture()
	p := newPlan(newCall("api", 0, 100), newCall("api", 1, 20), newCall("web", 0, 3))
	res, err := Apply(context.Background(), p, f.opts(nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Bought != 123 || res.Done != 3 || res.Calls != 3 || res.Failed != 0 || res.Pending != 0 || res.Unknown() {
		t.Fatalf("got %+v, want 123 bought in 3 done calls", res)
	}
	for _, c := range p.Groups[0].Calls {
		b := batch(t, f.state, "api", c.Seq)
		if b.Status != state.StatusDone || len(b.InstanceIDs) != c.GoodsNum || b.ClientToken != c.ClientToken || b.Attempts != 1 {
			t.Errorf("batch api #%d: got %+v", c.Seq, b)
		}
		if diff := cmp.Diff(c.Params, b.Params); diff != "" {
			t.Errorf("batch api #%d params (-plan +state):\n%s", c.Seq, diff)
		}
	}
	// Every call went out once, with the password in clear; the journal holds only its hash.
	if len(f.client.sent) != 3 {
		t.Fatalf("got %d attempts, want 3", len(f.client.sent))
	}
	for _, p := range f.client.sent {
		if p["password"] != testPassword {
			t.Errorf("sent password %q, want the clear value", p["password"])
		}
	}
	// Each call: a pending record before its done record.
	seen := map[string]string{}
	for _, r := range f.journal.records() {
		key := r.Group + "/" + strconv.Itoa(r.Batch.Seq)
		if r.Batch.Params["password"] == testPassword {
			t.Fatalf("journal record %s holds the clear password", key)
		}
		switch r.Batch.Status {
		case state.StatusPending:
			if seen[key] != "" {
				t.Errorf("%s: pending after %s", key, seen[key])
			}
		case state.StatusDone:
			if seen[key] != state.StatusPending {
				t.Errorf("%s: done without a pending record before it", key)
			}
		}
		seen[key] = r.Batch.Status
	}
	if len(seen) != 3 {
		t.Errorf("journal covers %d calls, want 3", len(seen))
	}
}

func TestApplyPartialAnswer(t *testing.T) {
	f := newFixture()
	f.client.answer = func(map[string]string, int) (int, error) { return 3, nil }
	res, err := Apply(context.Background(), newPlan(newCall("web", 0, 5)), f.opts(nil))
	if err != nil {
		t.Fatal(err)
	}
	b := batch(t, f.state, "web", 0)
	if b.Status != state.StatusDone || len(b.InstanceIDs) != 3 || b.GoodsNum != 5 {
		t.Fatalf("got batch %+v, want done with 3 of 5 instances", b)
	}
	if res.Bought != 3 || res.Unknown() {
		t.Fatalf("got %+v, want 3 bought", res)
	}
}

func TestApplyDefinitiveErrorGroupsIndependent(t *testing.T) {
	for _, class := range []cvm.Class{cvm.ClassParameter, cvm.ClassAuth, cvm.ClassBalance, cvm.ClassQuota} {
		t.Run(class.String(), func(t *testing.T) {
			f := newFixture()
			f.client.answer = func(p map[string]string, _ int) (int, error) {
				if p["clientToken"] == token("api", 0) {
					return 0, apiError(class, 4400, "LimitExceeded")
				}
				return -1, nil
			}
			p := newPlan(newCall("api", 0, 1), newCall("api", 1, 1), newCall("web", 0, 2))
			o := f.opts(over(WithRetry(wire(f.client), noSleep(5))))
			o.Parallelism = 1
			res, err := Apply(context.Background(), p, o)
			if err != nil {
				t.Fatal(err)
			}
			b := batch(t, f.state, "api", 0)
			if b.Status != state.StatusFailed || b.Error == nil || b.Error.Class != class.String() || b.Attempts != 1 {
				t.Fatalf("got batch %+v (error %+v), want failed after one attempt", b, b.Error)
			}
			if got := f.client.tries[token("api", 0)]; got != 1 {
				t.Errorf("a %s error was tried %d times, want 1 (never retried)", class, got)
			}
			if w := batch(t, f.state, "web", 0); w.Status != state.StatusDone || len(w.InstanceIDs) != 2 {
				t.Errorf("group web: got %+v, want done: groups fail independently", w)
			}
			if res.Failed != 1 || res.Done != 1 || res.Skipped != 1 || res.Bought != 2 || res.Unknown() {
				t.Errorf("got %+v, want 1 failed, 1 done, 1 skipped", res)
			}
		})
	}
}

func TestApplyUnknownOutcomeStaysPending(t *testing.T) {
	f := newFixture()
	netErr := &cvm.Error{Action: "RunInstances", Class: cvm.ClassRetryable, Err: errors.New("i/o timeout")}
	f.client.answer = func(map[string]string, int) (int, error) { return 0, netErr }
	res, err := Apply(context.Background(), newPlan(newCall("web", 0, 2)), f.opts(over(WithRetry(wire(f.client), noSleep(3)))))
	if err != nil {
		t.Fatal(err)
	}
	b := batch(t, f.state, "web", 0)
	if b.Status != state.StatusPending || b.Attempts != 3 || b.Error == nil || b.Error.Class != "retryable" {
		t.Fatalf("got %+v (error %+v), want pending after 3 attempts with the last error", b, b.Error)
	}
	if !res.Unknown() || res.Pending != 1 || res.Retries != 2 {
		t.Fatalf("got %+v, want one pending call and 2 retries", res)
	}
	tokens := f.client.sentTokens()
	if len(tokens) != 3 || tokens[0] != tokens[1] || tokens[1] != tokens[2] {
		t.Fatalf("got tokens %v, want the same token thrice", tokens)
	}
	var retried int
	for _, e := range f.events {
		if e.Type == EventCallRetried {
			retried++
		}
	}
	if retried != 2 {
		t.Errorf("got %d retry events, want 2", retried)
	}
}

func TestApplyUnknownErrorIsNotRetried(t *testing.T) {
	f := newFixture()
	f.client.answer = func(map[string]string, int) (int, error) { return 0, errors.New("something odd") }
	res, err := Apply(context.Background(), newPlan(newCall("web", 0, 1)), f.opts(over(WithRetry(wire(f.client), noSleep(5)))))
	if err != nil {
		t.Fatal(err)
	}
	if b := batch(t, f.state, "web", 0); b.Status != state.StatusPending || b.Attempts != 1 {
		t.Fatalf("got %+v, want pending after one attempt", b)
	}
	if res.Pending != 1 {
		t.Fatalf("got %+v, want one pending", res)
	}
}

func TestApplyLostAnswerResolvedByRetry(t *testing.T) {
	f := newFixture()
	f.client.answer = func(_ map[string]string, attempt int) (int, error) {
		if attempt == 1 {
			return -1, errLostAnswer
		}
		return -1, nil
	}
	res, err := Apply(context.Background(), newPlan(newCall("web", 0, 4)), f.opts(over(WithRetry(wire(f.client), noSleep(3)))))
	if err != nil {
		t.Fatal(err)
	}
	if res.Bought != 4 || len(f.client.bought) != 4 {
		t.Fatalf("got %d recorded, %d bought; want 4 and 4", res.Bought, len(f.client.bought))
	}
}

func TestApplyResumeFirst(t *testing.T) {
	f := newFixture()
	pending := newCall("web", 0, 2)
	pending.Resume = true
	pending.Params["imageId"] = "img-oldimage" // the spec changed since: the recorded params win
	f.state.Groups["web"] = &state.Group{Batches: []*state.Batch{{
		Seq: 0, Kind: state.KindRun, ClientToken: pending.ClientToken, GoodsNum: 2, Params: pending.Params,
		Status: state.StatusPending, Attempts: 2, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}}}
	p := newPlan(newCall("api", 0, 1), newCall("web", 1, 3))
	p.Groups = append(p.Groups, &planner.GroupPlan{Name: "zzz", Action: planner.ActionResume, Calls: []*planner.Call{pending}})
	o := f.opts(nil)
	o.Parallelism = 4
	res, err := Apply(context.Background(), p, o)
	if err != nil {
		t.Fatal(err)
	}
	_ = res
	tokens := f.client.sentTokens()
	if len(tokens) != 3 || tokens[0] != pending.ClientToken {
		t.Fatalf("got calls %v, want the resumed %s first", tokens, pending.ClientToken)
	}
	if got := f.client.sent[0]["imageId"]; got != "img-oldimage" {
		t.Errorf("resumed with imageId %q, want the recorded img-oldimage", got)
	}
	// The resumed call was answered and journaled before any new call was journaled.
	recs := f.journal.records()
	if recs[0].Batch.ClientToken != pending.ClientToken || recs[0].Batch.Status != state.StatusPending ||
		recs[1].Batch.ClientToken != pending.ClientToken || recs[1].Batch.Status != state.StatusDone {
		t.Fatalf("journal starts with %s %s, %s %s; want the resumed call pending then done", recs[0].Batch.ClientToken, recs[0].Batch.Status, recs[1].Batch.ClientToken, recs[1].Batch.Status)
	}
	b := batch(t, f.state, "web", 0)
	if b.Status != state.StatusDone || b.Attempts != 3 || !b.CreatedAt.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v, want done with 3 attempts in all and its first creation time", b)
	}
}

func TestApplyResumeWithUnknownSecretSendsNothing(t *testing.T) {
	f := newFixture()
	pending := newCall("web", 0, 2)
	pending.Resume = true
	pending.Params["password"] = secret.Hash("an-old-password1")
	f.state.Groups["web"] = &state.Group{Batches: []*state.Batch{{Seq: 0, Kind: state.KindRun, ClientToken: pending.ClientToken, GoodsNum: 2, Params: pending.Params, Status: state.StatusPending}}}
	res, err := Apply(context.Background(), newPlan(pending), f.opts(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.client.sent) != 0 || len(f.journal.records()) != 0 {
		t.Fatalf("sent %d calls, journaled %d records; want none", len(f.client.sent), len(f.journal.records()))
	}
	if res.Pending != 1 || !errors.Is(res.Outcomes[0].Err, ErrSecretUnknown) {
		t.Fatalf("got %+v (%v), want the call still pending with ErrSecretUnknown", res, res.Outcomes[0].Err)
	}
	if b := batch(t, f.state, "web", 0); b.Status != state.StatusPending {
		t.Fatalf("got %+v, want still pending", b)
	}
}

func TestApplyParallelCallsCommittedTogether(t *testing.T) {
	f := newFixture()
	f.client.started = make(chan map[string]string)
	f.client.release = make(chan struct{})
	var calls []*planner.Call
	for i := range 8 {
		calls = append(calls, newCall("web", i, 1))
	}
	done := make(chan error)
	var res *Result
	go func() {
		var err error
		res, err = Apply(context.Background(), newPlan(calls...), f.opts(nil))
		done <- err
	}()
	// Four calls start before any answers: their pending records were one commit.
	for range 4 {
		<-f.client.started
	}
	f.journal.mu.Lock()
	first := f.journal.commits[0]
	f.journal.mu.Unlock()
	if len(first) != 4 {
		t.Fatalf("first commit holds %d records, want the 4 calls started together", len(first))
	}
	go func() {
		for range 4 {
			<-f.client.started
		}
	}()
	for range 8 {
		f.client.release <- struct{}{}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res.Done != 8 {
		t.Fatalf("got %+v, want 8 done", res)
	}
	f.journal.mu.Lock()
	defer f.journal.mu.Unlock()
	if n := len(f.journal.commits); n > 13 {
		t.Errorf("16 records took %d commits, want records of calls started or answered together committed together", n)
	}
}

func TestApplyInterrupt(t *testing.T) {
	f := newFixture()
	f.client.started = make(chan map[string]string)
	f.client.release = make(chan struct{})
	var calls []*planner.Call
	for i := range 6 {
		calls = append(calls, newCall("web", i, 1))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	var res *Result
	o := f.opts(over(WithRetry(WithRateLimit(Detach(wire(f.client)), 0), noSleep(3))))
	o.Parallelism = 2
	go func() {
		var err error
		res, err = Apply(ctx, newPlan(calls...), o)
		done <- err
	}()
	<-f.client.started
	<-f.client.started
	cancel() // the first signal: the two calls in flight finish and are recorded
	f.client.release <- struct{}{}
	f.client.release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res.Done != 2 || res.Skipped != 4 || res.Calls != 2 || res.Unknown() || !res.Interrupted {
		t.Fatalf("got %+v, want 2 done and 4 skipped", res)
	}
	if len(f.state.Groups["web"].Batches) != 2 {
		t.Fatalf("state holds %d batches, want the 2 calls sent", len(f.state.Groups["web"].Batches))
	}
	for _, o := range res.Outcomes {
		if o.Status == OutcomeSkipped && !errors.Is(o.Err, ErrInterrupted) {
			t.Errorf("skipped call %d: got %v, want ErrInterrupted", o.Seq, o.Err)
		}
	}
}

func TestApplyJournalFailureSendsNothing(t *testing.T) {
	f := newFixture()
	f.journal.fail = errors.New("disk full")
	res, err := Apply(context.Background(), newPlan(newCall("web", 0, 1), newCall("web", 1, 1)), f.opts(nil))
	if err == nil || !errors.Is(err, f.journal.fail) {
		t.Fatalf("got %v, want the journal's error", err)
	}
	if len(f.client.sent) != 0 {
		t.Fatalf("sent %d calls with no durable record, want none", len(f.client.sent))
	}
	if res.Skipped != 2 {
		t.Fatalf("got %+v, want 2 skipped", res)
	}
}

func TestApplyJournalFailureKeepsAnswers(t *testing.T) {
	f := newFixture()
	f.journal.okLeft, f.journal.after = 1, errors.New("disk full")
	o := f.opts(nil)
	o.Parallelism = 1
	res, err := Apply(context.Background(), newPlan(newCall("web", 0, 2), newCall("web", 1, 1)), o)
	if !errors.Is(err, f.journal.after) {
		t.Fatalf("got %v, want the journal's error", err)
	}
	// The first call's pending record was durable, so it was sent; its answer could not be
	// journaled but is in the state, which the caller writes. The second call was not sent.
	if len(f.client.sent) != 1 {
		t.Fatalf("sent %d calls, want 1", len(f.client.sent))
	}
	if b := batch(t, f.state, "web", 0); b.Status != state.StatusDone || len(b.InstanceIDs) != 2 {
		t.Fatalf("got %+v, want the answer recorded in the state", b)
	}
	if len(f.state.Groups["web"].Instances) != 2 || res.Bought != 2 || res.Skipped != 1 {
		t.Fatalf("got %+v, want 2 bought and recorded, 1 skipped", res)
	}
}

func TestApplyRefusesStalePlan(t *testing.T) {
	f := newFixture()
	f.state.Groups["web"] = &state.Group{Batches: []*state.Batch{{Seq: 0, Kind: state.KindRun, ClientToken: token("web", 0), GoodsNum: 1, Status: state.StatusDone}}}
	res, err := Apply(context.Background(), newPlan(newCall("web", 0, 1)), f.opts(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.client.sent) != 0 || res.Failed != 1 {
		t.Fatalf("sent %d, result %+v; want nothing sent and the call failed", len(f.client.sent), res)
	}
}

func TestApplyRefusesInvalidPlan(t *testing.T) {
	f := newFixture()
	p := newPlan(newCall("web", 0, 1))
	p.Groups[0].Action = planner.ActionInvalid
	if _, err := Apply(context.Background(), p, f.opts(nil)); err == nil {
		t.Fatal("applied an invalid plan")
	}
	if len(f.client.sent) != 0 {
		t.Fatal("sent a call of an invalid plan")
	}
}

func TestDefinitive(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{apiError(cvm.ClassParameter, 4000, "InvalidParameter"), true},
		{apiError(cvm.ClassParameter, 4000, "InvalidParameter.IdempotentParameterMismatch"), false},
		{apiError(cvm.ClassBalance, 5300, ""), true},
		{apiError(cvm.ClassQuota, 5200, ""), true},
		{apiError(cvm.ClassAuth, 4100, ""), true},
		{apiError(cvm.ClassRetryable, 6000, ""), false},
		{apiError(cvm.ClassClock, 4500, ""), true},
		{errors.New("eof"), false},
		{fmt.Errorf("wrapped: %w", apiError(cvm.ClassQuota, 5200, "")), true},
	}
	for _, tt := range tests {
		if got := Definitive(tt.err); got != tt.want {
			t.Errorf("Definitive(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestEchoedSecretIsRedacted(t *testing.T) {
	f := newFixture()
	f.client.answer = func(p map[string]string, attempt int) (int, error) {
		class := cvm.ClassParameter
		if attempt == 1 {
			class = cvm.ClassRetryable
		}
		return 0, &cvm.Error{Action: "RunInstances", Code: 4000, Name: "InvalidParameter.PasswordNotConformSpecs", Message: "password " + p["password"] + " is weak", Class: class}
	}
	res, err := Apply(context.Background(), newPlan(newCall("web", 0, 1)), f.opts(over(WithRetry(wire(f.client), noSleep(3)))))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.events {
		if strings.Contains(fmt.Sprintf("%+v", e), testPassword) {
			t.Fatalf("event %+v carries the password", e)
		}
	}
	for _, r := range f.journal.records() {
		if r.Batch.Error != nil && strings.Contains(r.Batch.Error.Message, testPassword) {
			t.Fatalf("journal record %+v carries the password", r.Batch.Error)
		}
	}
	o := res.Outcomes[0]
	if o.Status != state.StatusFailed || strings.Contains(o.Err.Error(), testPassword) || !strings.Contains(o.Err.Error(), secret.Masked) {
		t.Fatalf("got %s: %v, want failed with the password redacted", o.Status, o.Err)
	}
	if cvm.ClassOf(o.Err) != cvm.ClassParameter {
		t.Fatalf("redaction lost the class: got %v", cvm.ClassOf(o.Err))
	}
}

func TestApplyResumeRefusedDoesNotBlockGroup(t *testing.T) {
	f := newFixture()
	pending := newCall("web", 0, 2)
	pending.Resume = true
	pending.Params["imageId"] = "img-gonegone"
	f.state.Groups["web"] = &state.Group{Batches: []*state.Batch{{Seq: 0, Kind: state.KindRun, ClientToken: pending.ClientToken, GoodsNum: 2, Params: pending.Params, Status: state.StatusPending}}}
	f.client.answer = func(p map[string]string, _ int) (int, error) {
		if p["imageId"] == "img-gonegone" {
			return 0, apiError(cvm.ClassParameter, 4000, "InvalidParameter.ImageNotFound")
		}
		return -1, nil
	}
	p := newPlan(newCall("web", 1, 3))
	p.Groups[0].Calls = append([]*planner.Call{pending}, p.Groups[0].Calls...)
	res, err := Apply(context.Background(), p, f.opts(nil))
	if err != nil {
		t.Fatal(err)
	}
	if b := batch(t, f.state, "web", 0); b.Status != state.StatusFailed {
		t.Errorf("resumed batch: got %s, want failed", b.Status)
	}
	if b := batch(t, f.state, "web", 1); b.Status != state.StatusDone || len(b.InstanceIDs) != 3 {
		t.Errorf("new batch: got %+v, want done with 3 instances", b)
	}
	if res.Failed != 1 || res.Done != 1 || res.Bought != 3 {
		t.Errorf("got %+v, want 1 failed, 1 done, 3 bought", res)
	}
}
