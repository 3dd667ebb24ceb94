package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fleet/internal/cvm"
	"fleet/internal/state"
)

// detailFake answers DescribeInstances with whole instances, and measures how many calls
// are in flight at once. delay, when set, is how long each call takes.
type detailFake struct {
	mu       sync.Mutex
	known    map[string]cvm.Instance
	calls    int
	inFlight int
	maxIn    int
	delay    time.Duration
	fail     func(ids []string) error
}

func (f *detailFake) RunInstances(context.Context, map[string]string) (cvm.RunResult, error) {
	return cvm.RunResult{}, errors.New("detailFake buys nothing")
}

func (f *detailFake) InquiryInstancePrice(context.Context, map[string]string) (int64, error) {
	return 0, errors.New("detailFake knows no prices")
}

func (f *detailFake) DescribeInstances(ctx context.Context, filter cvm.DescribeFilter) ([]cvm.Instance, error) {
	f.mu.Lock()
	f.calls++
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(filter.InstanceIDs); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cvm.Instance
	for _, id := range filter.InstanceIDs {
		if in, ok := f.known[id]; ok {
			out = append(out, in)
		}
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// TestRefreshRecordsDetails: a refresh records per instance the zone, addresses, deadline
// and renew flag it read, with the time; a second refresh that reads the same leaves the
// state as it was; a changed deadline or flag is recorded with a new time.
func TestRefreshRecordsDetails(t *testing.T) {
	st := refreshState(map[string]map[string]int{"web": {"ins-w1": 2, "ins-w2": 2, "ins-w3": 3}})
	deadline := time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC)
	fake := &detailFake{known: map[string]cvm.Instance{
		"ins-w1": {ID: "ins-w1", Status: 2, ZoneID: 100003, PrivateIPs: []string{"10.0.0.1"}, PublicIPs: []string{"203.0.113.1"},
			Deadline: &deadline, DeadlineText: "2026-02-01 10:00:00", AutoRenew: ptr(1)},
		"ins-w2": {ID: "ins-w2", Status: 2, ZoneID: 100004, PrivateIPs: []string{"10.0.0.2", "10.0.1.2"}, AutoRenew: ptr(0)},
		// A deadline in an unexpected form: unknown, with a note.
		"ins-w3": {ID: "ins-w3", Status: 2, ZoneID: 100003, DeadlineText: "01/02/2026", AutoRenew: ptr(2),
			Notes: []string{`deadlineTime "01/02/2026" is not in the form YYYY-MM-DD hh:mm:ss: the deadline is left unknown`}},
	}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res, err := Refresh(context.Background(), fake, st, now)
	if err != nil {
		t.Fatal(err)
	}
	want := &RefreshResult{
		Checked: 3, Requests: 1, Updated: 3, Read: 3,
		Changes: []StatusChange{{Group: "web", ID: "ins-w3", Old: 3, New: 2}},
		Warnings: []RefreshWarning{{Group: "web", ID: "ins-w3",
			Note: `deadlineTime "01/02/2026" is not in the form YYYY-MM-DD hh:mm:ss: the deadline is left unknown`}},
	}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	if !res.Changed() {
		t.Error("Changed() = false after reading new details")
	}
	web := st.Groups["web"]
	wantIns := []*state.Instance{
		{ID: "ins-w1", Status: 2, StatusAt: &now, ZoneID: 100003, PrivateIPs: []string{"10.0.0.1"}, PublicIPs: []string{"203.0.113.1"}, Deadline: &deadline, AutoRenew: ptr(1)},
		{ID: "ins-w2", Status: 2, StatusAt: &now, ZoneID: 100004, PrivateIPs: []string{"10.0.0.2", "10.0.1.2"}, AutoRenew: ptr(0)},
		{ID: "ins-w3", Status: 2, StatusAt: &now, ZoneID: 100003, AutoRenew: ptr(2)},
	}
	if d := cmp.Diff(wantIns, web.Instances); d != "" {
		t.Errorf("instances (-want +got):\n%s", d)
	}

	// The recorded values survive a write and a read.
	path := t.TempDir() + "/fleet.state.json"
	if err := state.Write(path, st); err != nil {
		t.Fatal(err)
	}
	back, err := state.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantIns, back.Groups["web"].Instances); d != "" {
		t.Errorf("instances read back (-want +got):\n%s", d)
	}

	// The same answers again: nothing to write.
	later := now.Add(time.Hour)
	res, err = Refresh(context.Background(), fake, st, later)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed() || res.Updated != 0 || len(res.Warnings) != 1 {
		t.Errorf("second refresh: changed %v, updated %d, warnings %d; want nothing but the warning again", res.Changed(), res.Updated, len(res.Warnings))
	}

	// Renewed in the console and the flag turned off: recorded, status unchanged.
	renewed := deadline.AddDate(0, 1, 0)
	fake.known["ins-w1"] = cvm.Instance{ID: "ins-w1", Status: 2, ZoneID: 100003, PrivateIPs: []string{"10.0.0.1"}, PublicIPs: []string{"203.0.113.1"},
		Deadline: &renewed, AutoRenew: ptr(0)}
	res, err = Refresh(context.Background(), fake, st, later)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed() || res.Updated != 1 || len(res.Changes) != 0 {
		t.Errorf("after a renewal: changed %v, updated %d, status changes %d; want true, 1, 0", res.Changed(), res.Updated, len(res.Changes))
	}
	w1 := web.Instance("ins-w1")
	if w1.Deadline == nil || !w1.Deadline.Equal(renewed) || *w1.AutoRenew != 0 || !w1.StatusAt.Equal(later) {
		t.Errorf("ins-w1 after a renewal: deadline %v, flag %v, read at %v", w1.Deadline, *w1.AutoRenew, w1.StatusAt)
	}
	if w2 := web.Instance("ins-w2"); !w2.StatusAt.Equal(later) {
		t.Errorf("ins-w2 read at %v, want %v: every instance read is marked read", w2.StatusAt, later)
	}
}

// manyInstances returns a state of n instances in one group, and a fake that knows them.
func manyInstances(n int) (*state.State, *detailFake) {
	ins := map[string]int{}
	known := map[string]cvm.Instance{}
	for i := range n {
		id := fmt.Sprintf("ins-%08d", i)
		ins[id] = 3
		known[id] = cvm.Instance{ID: id, Status: 2, ZoneID: 100003}
	}
	return refreshState(map[string]map[string]int{"web": ins}), &detailFake{known: known}
}

// TestRefreshPagesInParallel: 20 requests of 100 ids go at most Parallel at once, and each is
// asked once.
func TestRefreshPagesInParallel(t *testing.T) {
	for _, parallel := range []int{1, 4, 8} {
		t.Run(fmt.Sprint(parallel), func(t *testing.T) {
			st, fake := manyInstances(2000)
			fake.delay = 20 * time.Millisecond
			res, err := RefreshWith(context.Background(), fake, st, time.Unix(0, 0), RefreshOptions{Parallel: parallel})
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != 20 || fake.calls != 20 {
				t.Errorf("%d requests (%d calls), want 20", res.Requests, fake.calls)
			}
			if fake.maxIn > parallel {
				t.Errorf("%d requests in flight at once, want at most %d", fake.maxIn, parallel)
			}
			if parallel > 1 && fake.maxIn < 2 {
				t.Errorf("requests went one at a time with Parallel %d", parallel)
			}
			if len(res.Changes) != 2000 || res.Updated != 2000 || len(res.Missing) != 0 {
				t.Errorf("%d changes, %d updated, %d missing; want 2000, 2000, 0", len(res.Changes), res.Updated, len(res.Missing))
			}
		})
	}
}

// TestRefreshParallelWithinRateLimit: the rate limit of the client passed in holds for
// requests in flight together.
func TestRefreshParallelWithinRateLimit(t *testing.T) {
	st, fake := manyInstances(1000)
	const rate = 50.0
	start := time.Now()
	res, err := RefreshWith(context.Background(), over(WithRateLimit(wire(fake), rate)), st, time.Unix(0, 0), RefreshOptions{Parallel: 8})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	// 10 requests at 50 a second: the limiter lets the first through at once, so at least
	// 9 intervals of 20 ms pass, whatever the parallelism.
	if res.Requests != 10 || elapsed < 9*time.Second/rate-5*time.Millisecond {
		t.Errorf("%d requests in %v, want 10 in at least %v", res.Requests, elapsed, 9*time.Second/rate)
	}
}

// TestRefreshParallelErrorLeavesStateAsItWas: a request that fails stops the others from
// starting, the error names the ids asked, and the state is as it was.
func TestRefreshParallelErrorLeavesStateAsItWas(t *testing.T) {
	st, fake := manyInstances(2000)
	before, _ := manyInstances(2000)
	before.Lineage = st.Lineage
	refused := &cvm.Error{Action: "DescribeInstances", Code: 4100, Name: "AuthFailure", Message: "bad signature", Class: cvm.ClassAuth}
	fake.delay = 5 * time.Millisecond
	fake.fail = func(ids []string) error {
		if ids[0] == "ins-00000300" {
			return refused
		}
		return nil
	}
	res, err := RefreshWith(context.Background(), fake, st, time.Unix(0, 0), RefreshOptions{Parallel: 4})
	if !errors.Is(err, refused) {
		t.Fatalf("error %v, want the API's refusal", err)
	}
	if want := "describe instances 301 to 400 of 2000"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if res.Requests >= 20 {
		t.Errorf("%d requests after a refusal, want fewer than 20", res.Requests)
	}
	if d := cmp.Diff(before, st); d != "" {
		t.Errorf("state changed by a failed refresh (-want +got):\n%s", d)
	}
}

// TestRefreshParallelCancelled: a context ended during the walk ends the refresh with its
// error and leaves the state as it was.
func TestRefreshParallelCancelled(t *testing.T) {
	st, fake := manyInstances(2000)
	ctx, cancel := context.WithCancel(context.Background())
	fake.fail = func(ids []string) error {
		if ids[0] == "ins-00000500" {
			cancel()
		}
		return nil
	}
	_, err := RefreshWith(ctx, fake, st, time.Unix(0, 0), RefreshOptions{Parallel: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if got := st.Groups["web"].Instance("ins-00000000"); got.Status != 3 || got.StatusAt != nil {
		t.Errorf("a cancelled refresh changed the state: %+v", got)
	}
}
