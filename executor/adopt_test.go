package executor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/state"
	"fleet/planner"
)

// markerClient is a fakeClient whose DescribeInstances answers searchWord lookups from a
// list of instances, matching any part of a name as the API does.
type markerClient struct {
	*fakeClient
	mu        sync.Mutex
	instances []cvm.Instance
	fail      error
	lookups   []string
}

func (m *markerClient) DescribeInstances(_ context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups = append(m.lookups, f.SearchWord)
	if m.fail != nil {
		return nil, m.fail
	}
	var out []cvm.Instance
	for _, in := range m.instances {
		if f.SearchWord == "" || containsFold(in.Name, f.SearchWord) {
			out = append(out, in)
		}
	}
	return out, nil
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		match := true
		for j := 0; j < len(sub); j++ {
			a, b := s[i+j], sub[j]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if a != b {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// markedPending returns a resumed call of group web, seq 0, 2 instances, whose name carries
// its marker, and records it pending in f's state.
func markedPending(f *fixture) (*planner.Call, string) {
	c := newCall("web", 0, 2)
	c.Resume = true
	p := newPlan(c)
	m := planner.Marker(p.Fleet, p.Region, p.ProjectID, "web", 0, c.Params)
	c.Params["instanceName"] = planner.MarkName("web", m)
	f.state.Groups["web"] = &state.Group{Batches: []*state.Batch{{
		Seq: 0, Kind: state.KindRun, ClientToken: c.ClientToken, GoodsNum: 2, Params: c.Params,
		Status: state.StatusPending, Attempts: 1, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}}}
	return c, m
}

func TestAdoptFound(t *testing.T) {
	f := newFixture()
	c, m := markedPending(f)
	mc := &markerClient{fakeClient: f.client, instances: []cvm.Instance{
		{ID: "ins-b", Name: "web " + m}, {ID: "ins-a", Name: "web " + m}, {ID: "ins-x", Name: "other"},
	}}
	p := newPlan(c)
	if !p.AdoptOrResume(p.Groups[0]) {
		t.Fatal("the plan does not show the group as adopt or resume")
	}
	res, err := Apply(context.Background(), p, f.opts(mc))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.client.sentTokens()); n != 0 {
		t.Fatalf("sent %d RunInstances calls, want none: the instances exist", n)
	}
	if !slices.Equal(mc.lookups, []string{m}) {
		t.Errorf("lookups %v, want one for %s", mc.lookups, m)
	}
	b := batch(t, f.state, "web", 0)
	if b.Status != state.StatusDone || !b.Adopted || !slices.Equal(b.InstanceIDs, []string{"ins-a", "ins-b"}) {
		t.Errorf("batch %+v, want done, adopted, ins-a and ins-b", b)
	}
	if len(f.state.Groups["web"].Instances) != 2 {
		t.Errorf("state records %d instances, want 2", len(f.state.Groups["web"].Instances))
	}
	if res.Done != 1 || res.Adopted != 2 || res.Bought != 0 || res.Calls != 0 || res.Unknown() {
		t.Errorf("result %+v", res)
	}
	if len(res.Outcomes) != 1 || !res.Outcomes[0].Adopted {
		t.Errorf("outcomes %+v, want one adopted", res.Outcomes)
	}
	if recs := f.journal.records(); len(recs) != 1 || !recs[0].Batch.Adopted {
		t.Errorf("journal %+v, want one adopted record", recs)
	}
	if len(f.events) != 1 || f.events[0].Type != EventCallAdopted || f.events[0].Marker != m {
		t.Errorf("events %+v, want one call_adopted with the marker", f.events)
	}
}

func TestAdoptNotFoundResends(t *testing.T) {
	f := newFixture()
	c, m := markedPending(f)
	mc := &markerClient{fakeClient: f.client}
	res, err := Apply(context.Background(), newPlan(c), f.opts(mc))
	if err != nil {
		t.Fatal(err)
	}
	if tokens := f.client.sentTokens(); !slices.Equal(tokens, []string{c.ClientToken}) {
		t.Fatalf("sent %v, want the recorded token once", tokens)
	}
	if !slices.Equal(mc.lookups, []string{m}) {
		t.Errorf("lookups %v, want %s before the call", mc.lookups, m)
	}
	b := batch(t, f.state, "web", 0)
	if b.Status != state.StatusDone || b.Adopted || len(b.InstanceIDs) != 2 {
		t.Errorf("batch %+v, want done by its answer", b)
	}
	if res.Bought != 2 || res.Adopted != 0 {
		t.Errorf("result %+v", res)
	}
}

func TestAdoptLookupErrorLeavesPending(t *testing.T) {
	f := newFixture()
	c, _ := markedPending(f)
	mc := &markerClient{fakeClient: f.client, fail: &cvm.Error{Action: "DescribeInstances", Class: cvm.ClassRetryable, Err: errors.New("connection reset")}}
	fresh := newCall("api", 0, 1)
	res, err := Apply(context.Background(), newPlan(c, fresh), f.opts(mc))
	if err != nil {
		t.Fatal(err)
	}
	if tokens := f.client.sentTokens(); slices.Contains(tokens, c.ClientToken) {
		t.Fatalf("sent the pending call blind after a failed lookup: %v", tokens)
	}
	if b := batch(t, f.state, "web", 0); b.Status != state.StatusPending {
		t.Errorf("batch is %s, want still pending", b.Status)
	}
	if !res.Unknown() || res.Pending != 1 {
		t.Errorf("result %+v, want one call of unknown outcome", res)
	}
	if res.Outcomes[0].Err == nil || !strings.Contains(res.Outcomes[0].Err.Error(), "look up marker") {
		t.Errorf("outcome %+v lacks the lookup error", res.Outcomes[0])
	}
}

func TestAdoptFuzzyMatchFilteredOut(t *testing.T) {
	f := newFixture()
	c, m := markedPending(f)
	// searchWord matches any part of a name: these carry the marker only inside a longer word.
	mc := &markerClient{fakeClient: f.client, instances: []cvm.Instance{
		{ID: "ins-1", Name: "web " + m + "x"},
		{ID: "ins-2", Name: "webx" + m},
		{ID: "ins-3", Name: "WEB " + toUpper(m)},
	}}
	if _, err := Apply(context.Background(), newPlan(c), f.opts(mc)); err != nil {
		t.Fatal(err)
	}
	if tokens := f.client.sentTokens(); !slices.Equal(tokens, []string{c.ClientToken}) {
		t.Fatalf("sent %v, want the call resent: no instance really carries the marker", tokens)
	}
	b := batch(t, f.state, "web", 0)
	if b.Adopted || slices.ContainsFunc(b.InstanceIDs, func(id string) bool { return id == "ins-1" || id == "ins-2" || id == "ins-3" }) {
		t.Errorf("batch %+v adopted a fuzzy match", b)
	}
}

func TestAdoptSkipsCallsWithoutMarker(t *testing.T) {
	f := newFixture()
	c := newCall("web", 0, 1)
	c.Resume = true
	c.Params["instanceName"] = "web"
	f.state.Groups["web"] = &state.Group{Batches: []*state.Batch{{Seq: 0, Kind: state.KindRun, ClientToken: c.ClientToken,
		GoodsNum: 1, Params: c.Params, Status: state.StatusPending}}}
	mc := &markerClient{fakeClient: f.client}
	if _, err := Apply(context.Background(), newPlan(c), f.opts(mc)); err != nil {
		t.Fatal(err)
	}
	if len(mc.lookups) != 0 {
		t.Errorf("looked up %v for a call recorded before markers", mc.lookups)
	}
	if tokens := f.client.sentTokens(); !slices.Equal(tokens, []string{c.ClientToken}) {
		t.Errorf("sent %v, want the recorded call", tokens)
	}
}

// A pending call whose marker finds an instance another group records (imported there
// meanwhile) is resolved with it: the conflict is recorded, for the plan to report, rather
// than left pending for ever, and nothing is sent.
func TestAdoptRecordsInstancesOfOtherGroups(t *testing.T) {
	f := newFixture()
	c, m := markedPending(f)
	f.state.Groups["api"] = &state.Group{Batches: []*state.Batch{{Seq: 0, Kind: state.KindImport, Status: state.StatusDone}},
		Instances: []*state.Instance{{ID: "ins-a"}}}
	mc := &markerClient{fakeClient: f.client, instances: []cvm.Instance{{ID: "ins-a", Name: "web " + m}}}
	res, err := Apply(context.Background(), newPlan(c), f.opts(mc))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.client.sentTokens()) != 0 {
		t.Fatal("sent the call although instances carry its marker")
	}
	if res.Unknown() || res.Adopted != 1 {
		t.Errorf("result %+v, want the call adopted", res)
	}
	if f.state.Groups["web"].Instance("ins-a") == nil || f.state.Groups["api"].Instance("ins-a") == nil {
		t.Error("the conflict is not recorded in both groups")
	}
	if err := f.state.Validate(); err != nil {
		t.Errorf("the state with the conflict is invalid: %v", err)
	}
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
