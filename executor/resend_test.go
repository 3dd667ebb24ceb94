package executor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// applyAt plans f against st and applies the plan through c at the given time, as fleet
// apply does, with a retry policy that does not wait.
func applyAt(t *testing.T, st *state.State, c cvm.Transport, now time.Time) *Result {
	t.Helper()
	p := planner.Compute(dupFleet(t), st)
	if !p.Applyable() {
		t.Fatalf("plan is not applyable: %v", p.Diagnostics)
	}
	res, err := Apply(context.Background(), p, Options{Client: over(WithRetry(Detach(c), noSleep(4))), State: st, Journal: &fakeJournal{},
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// An API that forgets client tokens within moments sells again to a resend with the same
// token. Every answer of the simulator is lost after the purchase: the retries of one apply
// must look the call's marker up before they resend, adopt what it finds, and buy once.
func TestRetryLooksBeforeResend(t *testing.T) {
	sim, c := simClient(t, cvmsim.Config{TokenTTL: time.Nanosecond, DropRate: 1})
	st := state.New("prod", "ap-guangzhou")
	res := applyAt(t, st, c, time.Now())
	if got := len(sim.Instances()); got != 3 {
		t.Fatalf("the simulator sold %d instances for a group of 3", got)
	}
	b := st.Groups["web"].Batch(0)
	if res.Adopted != 3 || res.Bought != 0 || b.Status != state.StatusDone || !b.Adopted || len(b.InstanceIDs) != 3 {
		t.Errorf("got adopted %d, bought %d, batch %s adopted=%v with %d instances; want the 3 adopted, the call done",
			res.Adopted, res.Bought, b.Status, b.Adopted, len(b.InstanceIDs))
	}
}

// laggingClient lists at most show instances of any DescribeInstances, as a listing that
// lags the purchase does.
type laggingClient struct {
	typedClient
	show int
}

func (l *laggingClient) DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error) {
	list, err := l.typedClient.DescribeInstances(ctx, f)
	if len(list) > l.show {
		list = list[:l.show]
	}
	return list, err
}

// A listing that shows part of a call's instances never leads to a purchase of the rest
// while the call is younger than ListingLag: the call stays pending with what was listed,
// and is resolved once the listing shows them all. When the call is older, what is listed
// is taken as what it bought.
func TestListingLagBuysNothingMore(t *testing.T) {
	sim, c := simClient(t, cvmsim.Config{TokenTTL: time.Nanosecond})
	lag := &laggingClient{typedClient: c, show: 1}
	st := state.New("prod", "ap-guangzhou")
	t0 := time.Now()

	// Apply 1: the answer is lost; the listing shows 1 of 3.
	if err := sim.SetFaults(0, 1); err != nil {
		t.Fatal(err)
	}
	res := applyAt(t, st, wire(lag), t0)
	if res.Pending != 1 || len(sim.Instances()) != 3 {
		t.Fatalf("apply 1: %d pending, the simulator sold %d; want 1 pending and 3 sold", res.Pending, len(sim.Instances()))
	}
	if err := res.Outcomes[0].Err; !errors.Is(err, ErrListingLags) {
		t.Errorf("apply 1: the call's error is %v, want ErrListingLags", err)
	}
	if n := len(st.Groups["web"].Instances); n != 1 {
		t.Errorf("apply 1: %d instances recorded, want the 1 listed", n)
	}
	if err := sim.SetFaults(0, 0); err != nil {
		t.Fatal(err)
	}

	// Apply 2, a minute later: the listing still lags; nothing is bought.
	res = applyAt(t, st, wire(lag), t0.Add(time.Minute))
	if res.Pending != 1 || len(sim.Instances()) != 3 {
		t.Fatalf("apply 2: %d pending, the simulator sold %d; want 1 pending and still 3 sold", res.Pending, len(sim.Instances()))
	}

	// Apply 3: the listing caught up; the call is adopted whole.
	lag.show = 100
	res = applyAt(t, st, wire(lag), t0.Add(2*time.Minute))
	if b := st.Groups["web"].Batch(0); b.Status != state.StatusDone || len(b.InstanceIDs) != 3 || res.Adopted != 3 {
		t.Errorf("apply 3: batch %s with %d instances, %d adopted; want done with 3", b.Status, len(b.InstanceIDs), res.Adopted)
	}
	if got := len(sim.Instances()); got != 3 {
		t.Errorf("the simulator sold %d instances for a group of 3", got)
	}

	// A call older than ListingLag whose listing shows part: that part is what it bought.
	st2 := state.New("prod", "ap-guangzhou")
	sim2, c2 := simClient(t, cvmsim.Config{TokenTTL: time.Nanosecond, DropRate: 1})
	lag2 := &laggingClient{typedClient: c2, show: 2}
	applyAt(t, st2, wire(lag2), t0)
	if err := sim2.SetFaults(0, 0); err != nil {
		t.Fatal(err)
	}
	applyAt(t, st2, wire(lag2), t0.Add(ListingLag+time.Minute))
	if b := st2.Groups["web"].Batch(0); b.Status != state.StatusDone || len(b.InstanceIDs) != 2 {
		t.Errorf("old call: batch %s with %d instances; want done with the 2 listed", b.Status, len(b.InstanceIDs))
	}
}

// An answer may name an instance the state records in another group: a call whose answer
// was lost, its instances renamed in the console (their marker gone), one of them imported
// into another group, then the call resent with its token, which the API answers with the
// same ids. The conflict is recorded and reported by the plan; the state stays readable.
func TestAnswerNamingImportedInstance(t *testing.T) {
	sim, c := simClient(t, cvmsim.Config{})
	st := state.New("prod", "ap-guangzhou")

	// Apply 1: the answer is lost and the lookup before a resend fails: the call stays pending.
	if err := sim.SetFaults(1, 1, "DescribeInstances"); err != nil {
		t.Fatal(err)
	}
	if res := applyAt(t, st, c, time.Now()); res.Pending != 1 {
		t.Fatalf("apply 1: %d pending, want 1", res.Pending)
	}
	if err := sim.SetFaults(0, 0); err != nil {
		t.Fatal(err)
	}
	sold := sim.Instances()
	for _, in := range sold {
		if err := sim.SetName(in.ID, "renamed by hand"); err != nil {
			t.Fatal(err)
		}
	}
	// One of them is imported into group api.
	st.Apply(state.JournalRecord{Group: "api", Batch: &state.Batch{Seq: 0, Kind: state.KindImport, GoodsNum: 1,
		Status: state.StatusDone, DealIDs: []string{}, InstanceIDs: []string{sold[0].ID}}})

	// Apply 2: the marker finds nothing; the call is resent with its token and the API
	// answers with the ids it sold, one of them recorded in api.
	applyAt(t, st, c, time.Now())
	if got := len(sim.Instances()); got != 3 {
		t.Fatalf("the simulator sold %d instances for a group of 3", got)
	}
	data, err := state.Encode(st)
	if err != nil {
		t.Fatalf("the state after the answer cannot be written: %v", err)
	}
	back, err := state.Decode("state", func() (io.Reader, error) { return bytes.NewReader(data), nil })
	if err != nil {
		t.Fatalf("the state after the answer cannot be read: %v", err)
	}
	p := planner.Compute(dupFleet(t), back)
	var found bool
	for _, d := range p.Diagnostics {
		if spec.Code(d) == planner.CodeInstanceConflict && strings.Contains(d.Detail, sold[0].ID) &&
			strings.Contains(d.Detail, "api and web") {
			found = true
		}
	}
	if !found || p.Applyable() {
		t.Errorf("plan: applyable %v, diagnostics %v; want an instance-conflict error naming %s in api and web", p.Applyable(), p.Diagnostics, sold[0].ID)
	}
}
