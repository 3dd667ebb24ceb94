package planner

import (
	"strings"
	"testing"
	"unicode/utf8"

	"fleet/internal/secret"
	"fleet/internal/state"
	"fleet/spec"
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
	if tag, ok := MarkerTag(a); !ok || !isMarker(a) || len(a) != markerLen || tag != FleetTag("prod", "ap-guangzhou") {
		t.Fatalf("marker %q has the wrong form", a)
	}
	if !strings.HasPrefix(a, FleetSearchWord("prod", "ap-guangzhou")+"-") {
		t.Fatalf("marker %q does not start with the fleet's search word", a)
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
		"version": MarkerV1("prod", "ap-guangzhou", 0, "web", 1, markerParams()),
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

func TestFleetTag(t *testing.T) {
	tag := FleetTag("prod", "ap-guangzhou")
	if len(tag) != FleetTagLen || !isHashChars(tag) {
		t.Fatalf("FleetTag = %q, want %d characters of [a-z2-7]", tag, FleetTagLen)
	}
	if FleetTag("prod", "ap-guangzhou") != tag {
		t.Error("FleetTag is not deterministic")
	}
	for name, other := range map[string]string{
		"fleet":  FleetTag("test", "ap-guangzhou"),
		"region": FleetTag("prod", "ap-beijing"),
		"split":  FleetTag("prodap", "-guangzhou"),
	} {
		if other == tag {
			t.Errorf("the tag does not change with the %s", name)
		}
	}
	if got, want := FleetSearchWord("prod", "ap-guangzhou"), "fl-"+tag; got != want {
		t.Errorf("FleetSearchWord = %q, want %q", got, want)
	}
	// Its own hash domain: the tag is not the start of any call hash of the fleet.
	for seq := range 50 {
		m := Marker("prod", "ap-guangzhou", 0, "web", seq, markerParams())
		if strings.HasPrefix(m[len(m)-MarkerHashLen:], tag) {
			t.Errorf("call hash of seq %d starts with the fleet's tag", seq)
		}
	}
}

// Every call of every group and project of a fleet shares the fleet's tag, and only it.
func TestFleetTagSharedByGroupsAndCalls(t *testing.T) {
	tag := FleetTag("prod", "ap-guangzhou")
	seen := map[string]bool{}
	for _, project := range []int{0, 7} {
		f := testFleet(testGroup("api", 3), testGroup("web", 250), testGroup("长名字的组", 1))
		f.ProjectID = project
		p := Compute(f, nil)
		for _, c := range p.Calls() {
			got, ok := MarkerTag(c.Marker)
			if !ok || got != tag {
				t.Fatalf("call %s #%d: marker %q does not carry the fleet's tag %s", c.Group, c.Seq, c.Marker, tag)
			}
			if !HasMarker(c.Params["instanceName"], c.Marker) || p.CallMarker(c) != c.Marker {
				t.Errorf("call %s #%d: name %q does not carry marker %s", c.Group, c.Seq, c.Params["instanceName"], c.Marker)
			}
			if m, _, ok := FleetMarkerOf(c.Params["instanceName"], tag); !ok || m != c.Marker {
				t.Errorf("call %s #%d: FleetMarkerOf(%q) = %q, %v", c.Group, c.Seq, c.Params["instanceName"], m, ok)
			}
			if !strings.Contains(c.Params["instanceName"], FleetSearchWord(f.Name, f.Region)) {
				t.Errorf("call %s #%d: the fleet's search word does not find %q", c.Group, c.Seq, c.Params["instanceName"])
			}
			if seen[c.Marker] {
				t.Errorf("marker %s used twice", c.Marker)
			}
			seen[c.Marker] = true
		}
	}
	other := Compute(&spec.Fleet{Name: "prod", Region: "ap-beijing", Groups: []*spec.Group{testGroup("web", 1)}}, nil)
	if got, _ := MarkerTag(other.Calls()[0].Marker); got == tag {
		t.Error("a fleet of the same name in another region shares the tag")
	}
}

func TestMarkerForms(t *testing.T) {
	v2 := Marker("prod", "ap-guangzhou", 0, "web", 0, markerParams())
	v1 := MarkerV1("prod", "ap-guangzhou", 0, "web", 0, markerParams())
	tag := FleetTag("prod", "ap-guangzhou")
	for _, tc := range []struct {
		s       string
		marker  bool
		tag     string // MarkerTag; "" when not of the current form
		comment string
	}{
		{v2, true, tag, "current form"},
		{v1, true, "", "form before the fleet's tag"},
		{"fl-abcdef-ghijklmnop", true, "abcdef", "any tag"},
		{"fl-abcdefghij", true, "", "v1 of letters"},
		{"fl-234567-abcdefghij", true, "234567", "digits of the alphabet"},
		{"fl-abcde1-ghijklmnop", false, "", "1 is not in the alphabet"},
		{"fl-abcdef-ghijklmno", false, "", "call hash too short"},
		{"fl-abcdefg-hijklmnop", false, "", "tag too long"},
		{"fl-abcdef_ghijklmnop", false, "", "wrong separator"},
		{"fl-ABCDEF-GHIJKLMNOP", false, "", "upper case"},
		{"fl-abcdefghi", false, "", "v1 too short"},
		{"fx-abcdef-ghijklmnop", false, "", "wrong prefix"},
		{"", false, "", "empty"},
	} {
		if got := isMarker(tc.s); got != tc.marker {
			t.Errorf("isMarker(%q) = %v, want %v (%s)", tc.s, got, tc.marker, tc.comment)
		}
		if got, ok := MarkerTag(tc.s); got != tc.tag || ok != (tc.tag != "") {
			t.Errorf("MarkerTag(%q) = %q, %v, want %q (%s)", tc.s, got, ok, tc.tag, tc.comment)
		}
	}
}

func TestSplitMarkerBothForms(t *testing.T) {
	v2 := Marker("prod", "ap-guangzhou", 0, "web", 0, markerParams())
	v1 := MarkerV1("prod", "ap-guangzhou", 0, "web", 0, markerParams())
	for _, tc := range []struct {
		name, base, marker string
		ok                 bool
	}{
		{"web " + v2, "web", v2, true},
		{"web " + v1, "web", v1, true},
		{v2, "", v2, true},
		{v1, "", v1, true},
		{"a b " + v2, "a b", v2, true},
		{"web" + v2, "web" + v2, "", false},
		{"web " + v2 + "x", "web " + v2 + "x", "", false},
		{"web", "web", "", false},
		{"web fl-abcdef-ghijklmno", "web fl-abcdef-ghijklmno", "", false},
		{"x fl-abcdef-ghijklmnop", "x", "fl-abcdef-ghijklmnop", true},
		// The last 13 characters of a current marker may look like the old form; the whole
		// marker is taken.
		{"x fl-abcdfl-ghijklmnop", "x", "fl-abcdfl-ghijklmnop", true},
	} {
		base, m, ok := SplitMarker(tc.name)
		if base != tc.base || m != tc.marker || ok != tc.ok {
			t.Errorf("SplitMarker(%q) = %q, %q, %v, want %q, %q, %v", tc.name, base, m, ok, tc.base, tc.marker, tc.ok)
		}
	}
}

func TestHasMarkerBothForms(t *testing.T) {
	v2 := "fl-abcdef-ghijklmnop"
	for _, tc := range []struct {
		name, marker string
		want         bool
	}{
		{"web " + v2, v2, true},
		{"web " + v2 + "-1", v2, true},
		{"web " + v2 + "x", v2, false},
		{"webfl-abcdef-ghijklmnop", v2, false},
		{"web fl-abcdef-ghijklmnopq", v2, false},
		{"web fl-abcdefghij", "fl-abcdefghij", true},
		{"web " + v2, "fl-abcdef", true}, // the search word is a word of the marker
		{"web " + v2, "fl-abcdefghij", false},
	} {
		if got := HasMarker(tc.name, tc.marker); got != tc.want {
			t.Errorf("HasMarker(%q, %q) = %v, want %v", tc.name, tc.marker, got, tc.want)
		}
	}
}

func TestFleetMarkerOf(t *testing.T) {
	tag := "abcdef"
	m := "fl-abcdef-ghijklmnop"
	for _, tc := range []struct {
		name, marker, base string
		ok                 bool
	}{
		{"web " + m, m, "web", true},
		{m, m, "", true},
		{"web " + m + " renamed", m, "web renamed", true},
		{m + " web", m, "web", true},
		{"web " + m + "-2", m, "web-2", true},
		{"a fl-abcdef-xx " + m, m, "a fl-abcdef-xx", true},
		{"web fl-abcdef", "", "web fl-abcdef", false},              // the tag alone
		{"web fl-abcdef-ghijklmnopq", "", "", false},               // longer than a marker
		{"web xfl-abcdef-ghijklmnop", "", "", false},               // not a whole word
		{"web fl-abcdef-ghijklm0op", "", "", false},                // 0 is not in the alphabet
		{"web fl-zzzzzz-ghijklmnop", "", "", false},                // another fleet
		{"web fl-abcdefghij", "", "", false},                       // the form before the tag
		{"web fl-abcdef-GHIJKLMNOP", "", "", false},                // upper case
		{"db fl-abcdef-1 web " + m, m, "db fl-abcdef-1 web", true}, // a false start first
	} {
		gotM, gotBase, ok := FleetMarkerOf(tc.name, tag)
		if ok != tc.ok || gotM != tc.marker || ok && gotBase != tc.base {
			t.Errorf("FleetMarkerOf(%q) = %q, %q, %v, want %q, %q, %v", tc.name, gotM, gotBase, ok, tc.marker, tc.base, tc.ok)
		}
	}
	if _, _, ok := FleetMarkerOf("web "+m, "abc"); ok {
		t.Error("FleetMarkerOf accepted a tag of the wrong length")
	}
}

func TestMarkNameWithin60RunesBothForms(t *testing.T) {
	for _, m := range []string{
		Marker("prod", "ap-guangzhou", 0, "web", 0, markerParams()),
		MarkerV1("prod", "ap-guangzhou", 0, "web", 0, markerParams()),
	} {
		room := MaxNameRunes - 1 - len(m)
		for _, tc := range []struct {
			name string
			want string
		}{
			{"", m},
			{"web", "web " + m},
			{strings.Repeat("a", room), strings.Repeat("a", room) + " " + m},
			{strings.Repeat("a", room+1), strings.Repeat("a", room) + " " + m},
			{strings.Repeat("长", 60), strings.Repeat("长", room) + " " + m},
			{strings.Repeat("a", room-1) + "  b", strings.Repeat("a", room-1) + " " + m},
		} {
			got := MarkName(tc.name, m)
			if got != tc.want {
				t.Errorf("MarkName(%q, %s) = %q, want %q", tc.name, m, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > MaxNameRunes {
				t.Errorf("MarkName(%q, %s): %d runes", tc.name, m, n)
			}
			if _, gotM, ok := SplitMarker(got); !ok || gotM != m {
				t.Errorf("SplitMarker(%q) = %q, %v", got, gotM, ok)
			}
		}
	}
	// The longest group names of a plan keep within the limit too.
	p := Compute(testFleet(testGroup(strings.Repeat("长", 80), 1)), nil)
	if n := utf8.RuneCountInString(p.Calls()[0].Params["instanceName"]); n > MaxNameRunes {
		t.Errorf("planned instance name has %d runes", n)
	}
}

// A call without Marker (a plan put together by hand, or saved before calls carried their
// marker) is recognised by the marker of either form its parameters give.
func TestCallMarkerDerivedForBothForms(t *testing.T) {
	p := &Plan{Fleet: "prod", Region: "ap-guangzhou"}
	for _, mk := range []func(string, string, int, string, int, map[string]string) string{Marker, MarkerV1} {
		params := map[string]string{"cpu": "2", "goodsNum": "1"}
		m := mk(p.Fleet, p.Region, 0, "web", 3, params)
		params["instanceName"] = MarkName("web", m)
		c := &Call{Group: "web", Seq: 3, Resume: true, Params: params}
		if got := p.CallMarker(c); got != m {
			t.Errorf("CallMarker = %q, want %q", got, m)
		}
		// Another seq (or group) gives another marker: the name is not this call's.
		if got := p.CallMarker(&Call{Group: "web", Seq: 4, Resume: true, Params: params}); got != "" {
			t.Errorf("CallMarker of another seq = %q, want none", got)
		}
	}
	// A recorded marker wins over what the name and the group would give.
	c := &Call{Group: "renamed", Seq: 0, Resume: true, Marker: "fl-abcdef-ghijklmnop",
		Params: map[string]string{"instanceName": "web fl-abcdef-ghijklmnop"}}
	if got := p.CallMarker(c); got != c.Marker {
		t.Errorf("CallMarker = %q, want the recorded %q", got, c.Marker)
	}
}

// pendingBatch returns a pending batch of group web, seq 1, whose instance name carries the
// marker mk gives it, with the marker recorded or not.
func pendingBatch(mk func(string, string, int, string, int, map[string]string) string, record bool) (*state.Batch, string) {
	params := secret.HashParams(testConfig("web").Params())
	params[paramGoodsNum] = "2"
	m := mk("prod", "ap-guangzhou", 0, "web", 1, params)
	params[paramName] = MarkName("web", m)
	tok := Token("prod", "ap-guangzhou", 0, "web", 1, params)
	params[paramToken] = tok
	b := &state.Batch{Seq: 1, Kind: state.KindRun, ClientToken: tok, GoodsNum: 2, Params: params, Status: state.StatusPending}
	if record {
		b.Marker = m
	}
	return b, m
}

func TestResumedCallCarriesRecordedMarker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mk     func(string, string, int, string, int, map[string]string) string
		record bool
		group  string // the group the state records the batch in now
		want   bool   // whether the call has the marker
	}{
		{"v2 recorded", Marker, true, "web", true},
		{"v2 recorded, group renamed", Marker, true, "www", true},
		{"v1 not recorded", MarkerV1, false, "web", true},
		{"v2 not recorded", Marker, false, "web", true},
		{"v1 not recorded, group renamed", MarkerV1, false, "www", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, m := pendingBatch(tc.mk, tc.record)
			st := &state.State{FormatVersion: state.FormatVersion, Lineage: "l", Fleet: "prod", Region: "ap-guangzhou",
				Groups: map[string]*state.Group{tc.group: {Batches: []*state.Batch{b}}}}
			p := Compute(testFleet(testGroup(tc.group, 2)), st)
			g := p.Group(tc.group)
			if len(g.Calls) != 1 || !g.Calls[0].Resume {
				t.Fatalf("calls %+v, want the resumed one", g.Calls)
			}
			c := g.Calls[0]
			want := ""
			if tc.want {
				want = m
			}
			if c.Marker != want || p.CallMarker(c) != want || p.AdoptOrResume(g) != tc.want {
				t.Errorf("Marker %q, CallMarker %q, AdoptOrResume %v; want %q", c.Marker, p.CallMarker(c), p.AdoptOrResume(g), want)
			}
			if got := BatchMarker(p.Fleet, p.Region, p.ProjectID, tc.group, b); got != want {
				t.Errorf("BatchMarker = %q, want %q", got, want)
			}
		})
	}
}
