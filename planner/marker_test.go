package planner

import (
	"strings"
	"testing"
	"unicode/utf8"

	"fleet/internal/state"
)

func markerParams() map[string]string {
	return map[string]string{"cpu": "2", "mem": "4", "goodsNum": "3", "instanceName": "web", "clientToken": "x"}
}

func TestMarkerDeterministic(t *testing.T) {
	a := Marker("prod", "ap-guangzhou", 0, "web", 1, markerParams())
	b := Marker("prod", "ap-guangzhou", 0, "web", 1, markerParams())
	if a != b {
		t.Fatalf("marker not deterministic: %s vs %s", a, b)
	}
	if !isMarker(a) || len(a) != len(MarkerPrefix)+MarkerHashLen {
		t.Fatalf("marker %q has the wrong form", a)
	}
	// The token and the name carry the marker: they do not feed it.
	p := markerParams()
	p["clientToken"], p["instanceName"] = "other", "web fl-aaaaaaaaaa"
	if got := Marker("prod", "ap-guangzhou", 0, "web", 1, p); got != a {
		t.Errorf("marker depends on token or name: %s vs %s", got, a)
	}
}

func TestMarkerChangesWithEveryInput(t *testing.T) {
	base := Marker("prod", "ap-guangzhou", 0, "web", 1, markerParams())
	other := markerParams()
	other["cpu"] = "4"
	for name, m := range map[string]string{
		"seq":     Marker("prod", "ap-guangzhou", 0, "web", 2, markerParams()),
		"fleet":   Marker("test", "ap-guangzhou", 0, "web", 1, markerParams()),
		"region":  Marker("prod", "ap-beijing", 0, "web", 1, markerParams()),
		"project": Marker("prod", "ap-guangzhou", 1, "web", 1, markerParams()),
		"group":   Marker("prod", "ap-guangzhou", 0, "api", 1, markerParams()),
		"params":  Marker("prod", "ap-guangzhou", 0, "web", 1, other),
	} {
		if m == base {
			t.Errorf("marker does not change with the %s", name)
		}
	}
}

func TestMarkNameWithin60Runes(t *testing.T) {
	m := Marker("prod", "ap-guangzhou", 0, "web", 0, markerParams())
	for _, name := range []string{
		"",
		"web",
		strings.Repeat("a", 60),
		strings.Repeat("长", 60),
		strings.Repeat("名", 45) + "   " + strings.Repeat("x", 12),
		strings.Repeat("é", 46),
		strings.Repeat("é", 47),
	} {
		got := MarkName(name, m)
		if n := utf8.RuneCountInString(got); n > MaxNameRunes {
			t.Errorf("MarkName(%q) = %q: %d runes", name, got, n)
		}
		if !utf8.ValidString(got) {
			t.Errorf("MarkName(%q) = %q: invalid UTF-8", name, got)
		}
		base, gotM, ok := SplitMarker(got)
		if !ok || gotM != m || !strings.HasPrefix(name, base) {
			t.Errorf("SplitMarker(%q) = %q, %q, %v", got, base, gotM, ok)
		}
		if !HasMarker(got, m) {
			t.Errorf("HasMarker(%q, %q) = false", got, m)
		}
	}
	if got := MarkName("web", m); got != "web "+m {
		t.Errorf("MarkName(web) = %q", got)
	}
}

func TestHasMarkerIsExact(t *testing.T) {
	m := "fl-abcdefghij"
	for name, want := range map[string]bool{
		"web fl-abcdefghij":        true,
		"fl-abcdefghij":            true,
		"web fl-abcdefghij-1":      true,
		"web fl-abcdefghijk":       false,
		"web xfl-abcdefghij":       false,
		"web fl-abcdefghi":         false,
		"web FL-ABCDEFGHIJ":        false,
		"fl-abcdefghij fl-zzzzzzz": true,
	} {
		if got := HasMarker(name, m); got != want {
			t.Errorf("HasMarker(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNewCallsCarryMarkerAndConfigDiffIgnoresIt(t *testing.T) {
	f := testFleet(testGroup("web", 150))
	p := Compute(f, nil)
	g := p.Group("web")
	if g == nil || len(g.Calls) != 2 {
		t.Fatalf("want 2 calls, got %+v", g)
	}
	seen := map[string]bool{}
	for _, c := range g.Calls {
		m := p.CallMarker(c)
		if m == "" {
			t.Fatalf("call %d: name %q carries no marker", c.Seq, c.Params["instanceName"])
		}
		if seen[m] {
			t.Fatalf("two calls share marker %s", m)
		}
		seen[m] = true
	}
	// A state whose done batch was bought with the first call's parameters shows no drift.
	c := g.Calls[0]
	st := state.New(p.Fleet, p.Region)
	st.Apply(state.JournalRecord{Group: "web", Batch: &state.Batch{Seq: c.Seq, Kind: state.KindRun, ClientToken: c.ClientToken,
		GoodsNum: c.GoodsNum, Params: c.Params, Status: state.StatusDone, InstanceIDs: []string{"ins-1"}}})
	p2 := Compute(f, st)
	if d := p2.Group("web").ConfigDiff; d != "" {
		t.Errorf("the marker shows as a configuration change:\n%s", d)
	}
}

func TestCallMarkerRejectsUnmarkedAndForgedNames(t *testing.T) {
	p := &Plan{Fleet: "prod", Region: "ap-guangzhou"}
	c := &Call{Group: "web", Seq: 0, Resume: true, Params: map[string]string{"instanceName": "web"}}
	if m := p.CallMarker(c); m != "" {
		t.Errorf("unmarked name gave marker %q", m)
	}
	c.Params["instanceName"] = "web fl-abcdefghij" // the right form, not this call's marker
	if m := p.CallMarker(c); m != "" {
		t.Errorf("forged marker accepted: %q", m)
	}
	if p.AdoptOrResume(&GroupPlan{Name: "web", Calls: []*Call{c}}) {
		t.Error("AdoptOrResume true without a real marker")
	}
	c.Params["instanceName"] = MarkName("web", Marker(p.Fleet, p.Region, 0, "web", 0, c.Params))
	if m := p.CallMarker(c); m == "" {
		t.Error("real marker not recognised")
	}
	if !p.AdoptOrResume(&GroupPlan{Name: "web", Calls: []*Call{c}}) {
		t.Error("AdoptOrResume false with a marked resumed call")
	}
}

func TestConfigDiffIgnoresMarkerOfCutName(t *testing.T) {
	long := strings.Repeat("名", 60)
	m := Marker("prod", "ap-guangzhou", 0, "web", 3, markerParams())
	bought := map[string]string{"cpu": "2", "instanceName": MarkName(long, m)}
	if d := ConfigDiff("web", bought, map[string]string{"cpu": "2", "instanceName": long}); d != "" {
		t.Errorf("a cut name and its marker show as a change:\n%s", d)
	}
	// A real rename shows, without the marker.
	d := ConfigDiff("web", bought, map[string]string{"cpu": "2", "instanceName": "api"})
	if d == "" || strings.Contains(d, m) || !strings.Contains(d, "+instanceName = api") {
		t.Errorf("rename diff:\n%s", d)
	}
}

func TestGroupCallMarkerReadsGroupFromPlan(t *testing.T) {
	p := &Plan{Fleet: "prod", Region: "ap-guangzhou"}
	params := map[string]string{"cpu": "2"}
	want := Marker(p.Fleet, p.Region, 0, "web", 0, params)
	params["instanceName"] = MarkName("web", want)
	c := &Call{Seq: 0, Resume: true, Params: params} // Group left empty, as in a plan built by hand
	g := &GroupPlan{Name: "web", Action: ActionResume, Calls: []*Call{c}}
	if got := p.GroupCallMarker(g, c); got != want {
		t.Errorf("GroupCallMarker = %q, want %q", got, want)
	}
	if !p.AdoptOrResume(g) {
		t.Error("AdoptOrResume false for a marked call whose Group is empty")
	}
	if c.Group != "" {
		t.Errorf("GroupCallMarker changed the call's Group to %q", c.Group)
	}
}
