// Package statetest is the conformance suite every state.Store passes: the file store and
// the PostgreSQL store run the same tests, so that commands may hold either.
package statetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"fleet/internal/state"
)

// Factory returns a new handle on the store of fleet: two calls with one fleet name give two
// handles on the same stored state (as two processes would have), and different fleet
// names give states that do not see each other. Handles are closed by the suite.
type Factory func(t *testing.T, fleet string) state.Store

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// ignoreLocal ignores what is not stored: the replay count and the version.
var ignoreLocal = cmpopts.IgnoreFields(state.State{}, "Journaled", "Version")

// Run runs the conformance suite. Each subtest uses fleets of its own.
func Run(t *testing.T, open Factory) {
	n := 0
	fleet := func(name string) string {
		n++
		return fmt.Sprintf("%s-%d-%d", name, time.Now().UnixNano()%1e6, n)
	}
	handle := func(t *testing.T, f string) state.Store {
		s := open(t, f)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	ctx := context.Background()

	t.Run("NoState", func(t *testing.T) {
		s := handle(t, fleet("empty"))
		_, err := s.Read(ctx)
		if !errors.Is(err, state.ErrNoState) {
			t.Fatalf("Read of an empty store: got %v, want ErrNoState", err)
		}
		hist, err := s.History(ctx, 0)
		if err != nil || len(hist) != 0 {
			t.Errorf("History of an empty store: got %v, %v; want none", hist, err)
		}
		if s.Where() == "" {
			t.Error("Where is empty")
		}
	})

	t.Run("WriteRead", func(t *testing.T) {
		f := fleet("rw")
		s := handle(t, f)
		l := mustLock(t, s, "apply")
		st := Sample(f)
		if err := s.Write(ctx, st, state.Change{Operation: "apply", Summary: "bought 3"}); err != nil {
			t.Fatal(err)
		}
		if st.Serial != 1 {
			t.Errorf("serial after the first write: got %d, want 1", st.Serial)
		}
		v1 := st.Version
		if err := s.Write(ctx, st, state.Change{Operation: "refresh", Summary: "2 statuses"}); err != nil {
			t.Fatal(err)
		}
		if st.Version == v1 || st.Version == "" {
			t.Errorf("version after a second write: got %q, first %q", st.Version, v1)
		}
		mustUnlock(t, l)
		got, err := handle(t, f).Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(st, got, ignoreLocal); d != "" {
			t.Errorf("read back (-wrote +read):\n%s", d)
		}
		if got.Version != st.Version {
			t.Errorf("version read: got %q, Write set %q", got.Version, st.Version)
		}
		hist, err := s.History(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Serial != 2 || hist[0].Operation != "refresh" || hist[0].Summary != "2 statuses" || hist[1].Serial != 1 || hist[1].Lineage != st.Lineage {
			t.Errorf("history: got %+v", hist)
		}
		if h1, _ := s.History(ctx, 1); len(h1) != 1 {
			t.Errorf("history limited to 1: got %d versions", len(h1))
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		f := fleet("invalid")
		s := handle(t, f)
		l := mustLock(t, s, "apply")
		defer mustUnlock(t, l)
		st := Sample(f)
		st.Groups["web"].Batches[0].Params["password"] = "Clear-Text-1"
		if err := s.Write(ctx, st, state.Change{Operation: "apply"}); err == nil {
			t.Fatal("Write of a state with a secret in clear succeeded")
		}
		if _, err := s.Read(ctx); !errors.Is(err, state.ErrNoState) {
			t.Errorf("after a refused write: got %v, want still no state", err)
		}
	})

	t.Run("Journal", func(t *testing.T) {
		f := fleet("journal")
		s := handle(t, f)
		l := mustLock(t, s, "apply")
		st := Sample(f)
		if err := s.Write(ctx, st, state.Change{Operation: "apply"}); err != nil {
			t.Fatal(err)
		}
		before := st.Version
		j, err := s.OpenJournal(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		// Parallel calls' records, as an apply journals them.
		const calls = 24
		var wg sync.WaitGroup
		errs := make(chan error, calls)
		want := cloneState(t, st)
		var mu sync.Mutex
		for i := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := fmt.Sprintf("g%02d", i)
				p := Pending(0, 1, g)
				d := Done(0, g, fmt.Sprintf("ins-%08d", i))
				if err := j.Append(state.JournalRecord{Group: g, Batch: p}); err != nil {
					errs <- err
					return
				}
				if err := j.Append(state.JournalRecord{Group: g, Batch: d}); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				want.Apply(state.JournalRecord{Group: g, Batch: d})
				mu.Unlock()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// A bad record is refused and changes nothing.
		bad := Done(1, "web", "ins-bad")
		bad.Params["password"] = "Clear-Text-1"
		if err := j.Append(state.JournalRecord{Group: "web", Batch: bad}); err == nil {
			t.Error("Append of a record with a secret in clear succeeded")
		}
		// Another process reads the journal replayed, without the journal being closed.
		got, err := handle(t, f).Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got, ignoreLocal); d != "" {
			t.Errorf("read with the journal replayed (-want +got):\n%s", d)
		}
		if got.Journaled != 2*calls {
			t.Errorf("journal records replayed: got %d, want %d", got.Journaled, 2*calls)
		}
		if got.Version == before {
			t.Errorf("version unchanged (%q) by journal records", got.Version)
		}
		// A write folds the journal in; records appended after it are kept.
		for i := range calls {
			g := fmt.Sprintf("g%02d", i)
			st.Apply(state.JournalRecord{Group: g, Batch: Done(0, g, fmt.Sprintf("ins-%08d", i))})
		}
		if err := s.Write(ctx, st, state.Change{Operation: "apply"}); err != nil {
			t.Fatal(err)
		}
		late := state.JournalRecord{Group: "late", Batch: Done(0, "late", "ins-0000late")}
		if err := j.Append(late); err != nil {
			t.Fatal(err)
		}
		st.Apply(late)
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		got, err = handle(t, f).Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(st, got, ignoreLocal); d != "" {
			t.Errorf("after a write during the journal (-want +got):\n%s", d)
		}
		if got.Journaled < 1 {
			t.Errorf("records replayed after the write: got %d, want the late one at least", got.Journaled)
		}
		if err := s.Write(ctx, got, state.Change{Operation: "apply"}); err != nil {
			t.Fatal(err)
		}
		mustUnlock(t, l)
		got2, err := handle(t, f).Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got2.Journaled != 0 {
			t.Errorf("records replayed after the journal was folded: got %d", got2.Journaled)
		}
	})

	t.Run("JournalInstanceRecords", func(t *testing.T) {
		// A renewal journaled before it is sent, then its answer; a flag set. A reader
		// replays both kinds of record; an update of an instance the group does not record
		// changes nothing.
		f := fleet("renewals")
		s := handle(t, f)
		l := mustLock(t, s, "apply")
		st := Sample(f)
		st.Apply(state.JournalRecord{Group: "web", Batch: Done(5, "web", "ins-0renew01", "ins-0renew02")})
		if err := s.Write(ctx, st, state.Change{Operation: "apply"}); err != nil {
			t.Fatal(err)
		}
		j, err := s.OpenJournal(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
		from, to := at.AddDate(0, 0, 3), at.AddDate(0, 1, 3)
		never := state.AutoRenewNever
		recs := []state.JournalRecord{
			{Group: "web", Instance: &state.InstanceRecord{ID: "ins-0renew01", Renewing: &state.Renewing{From: from, Period: 1, At: at}, At: at}},
			{Group: "web", Instance: &state.InstanceRecord{ID: "ins-0renew02", Renewing: &state.Renewing{From: from, Period: 1, At: at}, At: at}},
			{Group: "web", Instance: &state.InstanceRecord{ID: "ins-0renew02", Deadline: &to, Renewed: true, At: at}},
			// A flag set meanwhile leaves the renewal in flight as it is.
			{Group: "web", Instance: &state.InstanceRecord{ID: "ins-0renew01", AutoRenew: &never, At: at}},
			{Group: "web", Instance: &state.InstanceRecord{ID: "ins-notknown", AutoRenew: &never, At: at}},
		}
		if err := j.Append(recs...); err != nil {
			t.Fatal(err)
		}
		if err := j.Append(state.JournalRecord{Group: "web", Instance: &state.InstanceRecord{ID: "ins-0renew01", Renewing: &state.Renewing{Period: 1}}}); err == nil {
			t.Error("Append of a renewal without its deadline succeeded")
		}
		got, err := handle(t, f).Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		one, two := got.Groups["web"].Instance("ins-0renew01"), got.Groups["web"].Instance("ins-0renew02")
		switch {
		case one == nil || two == nil:
			t.Fatalf("instances lost: %v %v", one, two)
		case one.Renewing == nil || !one.Renewing.From.Equal(from) || one.AutoRenew == nil || *one.AutoRenew != never:
			t.Errorf("ins-0renew01 = %+v, want renewing from %v and never to renew", one, from)
		case two.Renewing != nil || two.Deadline == nil || !two.Deadline.Equal(to) || two.StatusAt == nil || !two.StatusAt.Equal(at):
			t.Errorf("ins-0renew02 = %+v, want renewed to %v, read at %v", two, to, at)
		case got.Groups["web"].Instance("ins-notknown") != nil:
			t.Error("an update created an instance")
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		// Folded into the state by a write, the renewal in flight is kept.
		if err := s.Write(ctx, got, state.Change{Operation: "apply"}); err != nil {
			t.Fatal(err)
		}
		mustUnlock(t, l)
		again, err := handle(t, f).Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := again.Groups["web"].Instance("ins-0renew01").Renewing; r == nil || r.Period != 1 || !r.From.Equal(from) {
			t.Errorf("renewal in flight after the write: %+v", r)
		}
	})

	t.Run("JournalWithoutState", func(t *testing.T) {
		f := fleet("fresh")
		s := handle(t, f)
		l := mustLock(t, s, "apply")
		defer mustUnlock(t, l)
		st := state.New(f, "ap-guangzhou")
		j, err := s.OpenJournal(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		rec := state.JournalRecord{Group: "web", Batch: Pending(0, 2, "web")}
		if err := j.Append(rec); err != nil {
			t.Fatal(err)
		}
		// The process dies here: the next one finds the pending call.
		got, err := handle(t, f).Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Lineage != st.Lineage || got.Fleet != f || got.Group("web") == nil || len(got.Group("web").PendingBatches()) != 1 {
			t.Errorf("read after a journal on a new state: got %+v", got)
		}
		_ = j.Close()
	})

	t.Run("Lock", func(t *testing.T) {
		f := fleet("lock")
		a, b := handle(t, f), handle(t, f)
		l := mustLock(t, a, "apply")
		_, err := b.Lock(ctx, "plan", 0)
		var le *state.LockedError
		if !errors.As(err, &le) {
			t.Fatalf("second Lock: got %v, want a *LockedError", err)
		}
		if le.Holder == nil || le.Holder.Operation != "apply" || le.Holder.PID == 0 || le.Holder.Host == "" {
			t.Errorf("holder: got %+v, want the apply", le.Holder)
		}
		// A waiting Lock gets the lock once it is released.
		go func() {
			time.Sleep(150 * time.Millisecond)
			_ = l.Unlock()
		}()
		l2, err := b.Lock(ctx, "refresh", 10*time.Second)
		if err != nil {
			t.Fatalf("Lock waiting for a release: %v", err)
		}
		// Other fleets are not locked by it.
		other := handle(t, fleet("other"))
		mustUnlock(t, mustLock(t, other, "apply"))
		// A cancelled wait ends early.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := a.Lock(cctx, "apply", time.Hour); err == nil {
			t.Error("Lock with a cancelled context succeeded")
		}
		mustUnlock(t, l2)
		if err := a.ForceUnlock(ctx); !errors.Is(err, state.ErrNotLocked) {
			t.Errorf("ForceUnlock of an unlocked state: got %v, want ErrNotLocked", err)
		}
	})

	t.Run("StaleWrite", func(t *testing.T) {
		f := fleet("stale")
		s := handle(t, f)
		l := mustLock(t, s, "apply")
		defer mustUnlock(t, l)
		st := Sample(f)
		if err := s.Write(ctx, st, state.Change{Operation: "apply"}); err != nil {
			t.Fatal(err)
		}
		other := state.New(f, "ap-guangzhou")
		if err := s.Write(ctx, other, state.Change{Operation: "state push"}); err == nil {
			t.Error("Write of a state of another lineage over a stored one succeeded")
		}
	})
}

func mustLock(t *testing.T, s state.Store, op string) state.Lock {
	t.Helper()
	l, err := s.Lock(context.Background(), op, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustUnlock(t *testing.T, l state.Lock) {
	t.Helper()
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func cloneState(t *testing.T, s *state.State) *state.State {
	t.Helper()
	data, err := state.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := state.Decode("clone", func() (io.Reader, error) { return bytes.NewReader(data), nil })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Params returns the parameters of a call of goods instances, the password as a hash.
func Params(goods int, name string) map[string]string {
	return map[string]string{
		"cpu": "2", "mem": "4", "imageId": "img-lkxqa4kj", "imageType": "2", "period": "12",
		"instanceType": "CVM.S2", "zoneId": "100003", "storageType": "1", "storageSize": "0",
		"rootSize": "20", "bandwidthType": "PayByBandwidth", "bandwidth": "0", "wanIp": "0",
		"instanceName": name, "goodsNum": fmt.Sprint(goods),
		"password": "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
	}
}

// Done returns a done batch of group that bought ids.
func Done(seq int, group string, ids ...string) *state.Batch {
	return &state.Batch{
		Seq: seq, Kind: state.KindRun, ClientToken: fmt.Sprintf("prod-%s-%d-abcdef", group, seq), GoodsNum: len(ids),
		Params: Params(len(ids), group), Status: state.StatusDone, DealIDs: []string{fmt.Sprintf("deal-%s-%d", group, seq)},
		InstanceIDs: ids, Attempts: 1, CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
}

// Pending returns a batch of group whose outcome is unknown.
func Pending(seq, goods int, group string) *state.Batch {
	return &state.Batch{
		Seq: seq, Kind: state.KindRun, ClientToken: fmt.Sprintf("prod-%s-%d-fedcba", group, seq), GoodsNum: goods,
		Params: Params(goods, group), Status: state.StatusPending, DealIDs: []string{}, InstanceIDs: []string{},
		Attempts: 1, CreatedAt: t0, UpdatedAt: t0,
	}
}

// Sample returns a small state of fleet with done, failed-free and pending batches.
func Sample(fleet string) *state.State {
	s := state.New(fleet, "ap-guangzhou")
	s.Apply(state.JournalRecord{Group: "web", Batch: Done(0, "web", "ins-0000web1", "ins-0000web0")})
	s.Apply(state.JournalRecord{Group: "web", Batch: Pending(1, 3, "web")})
	s.Apply(state.JournalRecord{Group: "db", Batch: Done(0, "db", "ins-00000db0")})
	return s
}
