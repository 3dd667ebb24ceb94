package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"fleet/internal/secret"
	"fleet/internal/state"
	"fleet/spec"
)

// newTestFile returns a saved plan with a config drift and an orphan, and the spec files
// and variables it was made from.
func newTestFile() (*File, []spec.File, []spec.VarValue, error) {
	st := boughtState(map[string]int{"web": 2, "old": 1})
	g := testGroup("web", 130)
	g.Config.ImageID = "img-newnewne"
	api := testGroup("api", 1)
	api.Config.ImageID = "img-apiapiap" // not a rename of "old": another configuration
	p := Compute(testFleet(g, api), st)
	files := []spec.File{{Name: "dir/main.fleet.hcl", Src: []byte("fleet \"prod\" {}\n")}, {Name: "dir/web.fleet.hcl", Src: []byte("group \"web\" {}\n")}}
	vars := []spec.VarValue{{Name: "admin_password", Sensitive: true, Hash: secret.Hash("hunter22")}, {Name: "zone", Hash: "sha256:zone"}}
	pf, err := NewFile(p, files, vars)
	return pf, files, vars, err
}

func testFile(t *testing.T) (*File, []spec.File, []spec.VarValue) {
	t.Helper()
	pf, files, vars, err := newTestFile()
	if err != nil {
		t.Fatal(err)
	}
	return pf, files, vars
}

func TestFileRoundTrip(t *testing.T) {
	pf, _, _ := testFile(t)
	pf.StateVersion, pf.Plan.StateVersion = "7+3", "7+3" // made while a journal held three records
	b, err := EncodeFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EncodeFile(pf)
	if err != nil || !bytes.Equal(b, again) {
		t.Fatalf("encoding is not deterministic (err %v)", err)
	}
	if bytes.Contains(b, []byte("Secret-pass1")) || bytes.Contains(b, []byte("hunter22")) {
		t.Fatal("plan file holds a secret")
	}
	got, err := DecodeFile(b)
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	opt := cmp.Comparer(func(a, b *hcl.Diagnostic) bool {
		return a.Severity == b.Severity && a.Summary == b.Summary && a.Detail == b.Detail &&
			spec.Code(a) == spec.Code(b) && cmp.Equal(a.Subject, b.Subject)
	})
	if diff := cmp.Diff(pf, got, opt); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if len(got.SpecFiles) != 2 || got.SpecFiles["main.fleet.hcl"] == "" {
		t.Errorf("spec files %v, want two, by base name", got.SpecFiles)
	}
}

func TestDecodeFileRejects(t *testing.T) {
	pf, _, _ := testFile(t)
	good, err := EncodeFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
		text string
	}{
		{"empty", nil, ErrCorruptPlan, ""},
		{"truncated", good[:len(good)/2], ErrCorruptPlan, ""},
		{"truncated at the end", good[:len(good)-3], ErrCorruptPlan, ""},
		{"altered goods", bytes.Replace(good, []byte(`"goods_num": 100`), []byte(`"goods_num": 99`), 1), ErrCorruptPlan, "checksum"},
		{"altered token", bytes.Replace(good, []byte(`"client_token": "web-`), []byte(`"client_token": "wex-`), 1), ErrCorruptPlan, "checksum"},
		{"future version", bytes.Replace(good, []byte(`"format_version": "`+FileFormatVersion+`"`), []byte(`"format_version": "2.0"`), 1), ErrPlanVersion, "newer"},
		{"no version", bytes.Replace(good, []byte(`"format_version": "`+FileFormatVersion+`",`), nil, 1), ErrCorruptPlan, "format_version"},
		{"unknown field", bytes.Replace(good, []byte(`"checksum"`), []byte(`"extra": 1, "checksum"`), 1), ErrCorruptPlan, "unknown field"},
		{"trailing data", append(append([]byte{}, good...), "{}"...), ErrCorruptPlan, "after top-level value"},
		{"not json", []byte("plan"), ErrCorruptPlan, ""},
	} {
		_, err := DecodeFile(tc.b)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got error %v, want %v", tc.name, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.text)
		}
	}
}

func TestEncodeFileRefusesInvalidPlan(t *testing.T) {
	bad := testGroup("bad", 1)
	bad.Diags = hcl.Diagnostics{spec.WithCode("period-range", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "x"})}
	f := testFleet(bad)
	f.Diags = bad.Diags
	p := Compute(f, nil)
	if _, err := NewFile(p, nil, nil); !errors.Is(err, ErrNotApplyable) {
		t.Errorf("NewFile: got %v, want ErrNotApplyable", err)
	}
	if _, err := EncodeFile(&File{Plan: p}); !errors.Is(err, ErrNotApplyable) {
		t.Errorf("EncodeFile: got %v, want ErrNotApplyable", err)
	}
	for _, tc := range []struct {
		name   string
		mangle func(c *Call)
		want   string
	}{
		{"clear password", func(c *Call) { c.Params["password"] = "Secret-pass1" }, "not masked"},
		{"bad token", func(c *Call) { c.ClientToken = "Web_0"; c.Params["clientToken"] = "Web_0" }, "client token"},
		{"goods", func(c *Call) { c.GoodsNum = 101; c.Params["goodsNum"] = "101" }, "101 instances"},
		{"params", func(c *Call) { c.Params["goodsNum"] = "2" }, "disagree"},
		{"marker not in name", func(c *Call) { c.Marker = "fl-abcdef-ghijklmnop" }, "marker"},
		{"marker form", func(c *Call) { c.Marker = "web" }, "marker"},
	} {
		good := Compute(testFleet(testGroup("web", 1)), nil)
		tc.mangle(good.Groups[0].Calls[0])
		if _, err := EncodeFile(&File{Plan: good}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("EncodeFile with %s: got %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

func TestFileStale(t *testing.T) {
	pf, files, vars := testFile(t)
	st := boughtState(map[string]int{"web": 2, "old": 1})
	if err := pf.Stale(st, files, vars); err != nil {
		t.Fatalf("fresh plan reported stale: %v", err)
	}
	// The same files read from another directory are the same spec.
	moved := []spec.File{{Name: "main.fleet.hcl", Src: files[0].Src}, {Name: "web.fleet.hcl", Src: files[1].Src}}
	if err := pf.Stale(st, moved, vars); err != nil {
		t.Fatalf("plan reported stale from another directory: %v", err)
	}

	st.Serial++
	changed := []spec.File{{Name: "dir/main.fleet.hcl", Src: []byte("fleet \"prod\" { }\n")}, {Name: "dir/new.fleet.hcl", Src: []byte("\n")}}
	vars2 := []spec.VarValue{{Name: "admin_password", Sensitive: true, Hash: secret.Hash("other")}, {Name: "zone", Hash: "sha256:zone"}, {Name: "added", Hash: "h"}}
	err := pf.Stale(st, changed, vars2)
	var se *StaleError
	if !errors.As(err, &se) || !errors.Is(err, ErrStale) {
		t.Fatalf("got %v, want a StaleError", err)
	}
	want := []string{
		"the state changed (serial 4, plan made against serial 3)",
		"spec file main.fleet.hcl changed",
		"spec file web.fleet.hcl was removed",
		"spec file new.fleet.hcl was added",
		"variable admin_password changed",
		"variable added was added",
	}
	if diff := cmp.Diff(want, se.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}

	st.Lineage = "another"
	err = pf.Stale(st, files, vars)
	if !errors.As(err, &se) || len(se.Changes) != 1 || !strings.Contains(se.Changes[0], "state was replaced") {
		t.Errorf("got %v, want the state replaced", err)
	}
	err = pf.Stale(nil, files, vars)
	if !errors.As(err, &se) || len(se.Changes) != 1 || !strings.Contains(se.Changes[0], "the state is missing") {
		t.Errorf("got %v, want the state missing", err)
	}

	// A journal replayed since the plan was made (an apply that was interrupted) changes the
	// state without moving its serial: the plan is stale all the same.
	st.Lineage, st.Serial = pf.StateLineage, pf.StateSerial
	st.Version = pf.StateVersion + "-later"
	err = pf.Stale(st, files, vars)
	if !errors.As(err, &se) || len(se.Changes) != 1 || !strings.Contains(se.Changes[0], "records of an interrupted apply") {
		t.Errorf("got %v, want the version change named", err)
	}
	st.Version = pf.StateVersion

	// A plan made without a state is stale once a state exists.
	fresh := &File{Plan: pf.Plan, SpecFiles: pf.SpecFiles, Variables: pf.Variables}
	if err := fresh.Stale(nil, files, vars); err != nil {
		t.Errorf("plan without a state against no state: %v", err)
	}
	err = fresh.Stale(st, files, vars)
	if !errors.As(err, &se) || len(se.Changes) != 1 || !strings.Contains(se.Changes[0], "there was no state when the plan was made") {
		t.Errorf("got %v, want a state created since", err)
	}
}

// FuzzDecodeFile checks that no input makes DecodeFile panic, that whatever it accepts
// encodes again to a file it accepts with the same plan, and that it holds no clear secret.
func FuzzDecodeFile(f *testing.F) {
	pf, _, _, err := newTestFile()
	if err != nil {
		f.Fatal(err)
	}
	good, err := EncodeFile(pf)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(`{"format_version": "1.0", "checksum": "", "plan": {}}`))
	f.Add([]byte(`{"format_version": "9.1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := DecodeFile(b)
		if err != nil {
			if !errors.Is(err, ErrCorruptPlan) && !errors.Is(err, ErrPlanVersion) {
				t.Fatalf("error %v is neither ErrCorruptPlan nor ErrPlanVersion", err)
			}
			return
		}
		again, err := EncodeFile(pf)
		if err != nil {
			t.Fatalf("accepted plan does not encode: %v", err)
		}
		if _, err := DecodeFile(again); err != nil {
			t.Fatalf("re-encoded plan is rejected: %v", err)
		}
	})
}

// reseal returns a plan file with its body changed by edit and its checksum made again, as
// a build that wrote the body so would have written it.
func reseal(t *testing.T, b []byte, edit func(body []byte) []byte) []byte {
	t.Helper()
	var env fileEnvelope
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	body := edit(env.Body)
	sum := sha256.Sum256(body)
	return []byte("{\n\"format_version\": \"" + FileFormatVersion + "\",\n\"checksum\": \"sha256:" + hex.EncodeToString(sum[:]) + "\",\n\"plan\": " + string(body) + "\n}\n")
}

func TestFileCarriesMarkers(t *testing.T) {
	b, m := pendingBatch(Marker, true)
	st := boughtState(map[string]int{"api": 1})
	st.Groups["web"] = &state.Group{Batches: []*state.Batch{b}}
	p := Compute(testFleet(testGroup("api", 3), testGroup("web", 4)), st)
	pf, err := NewFile(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncodeFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	var markers []string
	for _, c := range p.Calls() {
		if c.Marker == "" {
			t.Fatalf("call %s #%d has no marker", c.Group, c.Seq)
		}
		markers = append(markers, c.Marker)
		if !bytes.Contains(enc, []byte(`"marker": "`+c.Marker+`"`)) {
			t.Errorf("the plan file does not record marker %s of call %s #%d", c.Marker, c.Group, c.Seq)
		}
	}
	if !slices.Contains(markers, m) {
		t.Fatalf("the resumed call does not carry the recorded marker %s: %v", m, markers)
	}
	got, err := DecodeFile(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range got.Plan.Calls() {
		if c.Marker != markers[i] {
			t.Errorf("decoded call %s #%d: marker %q, want %q", c.Group, c.Seq, c.Marker, markers[i])
		}
	}

	// A plan saved before calls carried their marker: the markers are recognised in the names.
	old := reseal(t, enc, func(body []byte) []byte {
		return regexp.MustCompile(`,\n\s*"marker": "[^"]*"`).ReplaceAll(body, nil)
	})
	if bytes.Contains(old, []byte(`"marker"`)) {
		t.Fatal("the markers were not taken out")
	}
	got, err = DecodeFile(old)
	if err != nil {
		t.Fatalf("decode a plan file without markers: %v", err)
	}
	for i, c := range got.Plan.Calls() {
		if c.Marker != markers[i] {
			t.Errorf("call %s #%d of a plan without markers: marker %q, want %q", c.Group, c.Seq, c.Marker, markers[i])
		}
	}

	// A recorded v1 marker, saved without the marker field, is recognised too.
	b1, m1 := pendingBatch(MarkerV1, false)
	st.Groups["web"] = &state.Group{Batches: []*state.Batch{b1}}
	p1 := Compute(testFleet(testGroup("api", 3), testGroup("web", 4)), st)
	pf1, err := NewFile(p1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc1, err := EncodeFile(pf1)
	if err != nil {
		t.Fatal(err)
	}
	old1 := reseal(t, enc1, func(body []byte) []byte {
		return regexp.MustCompile(`,\n\s*"marker": "[^"]*"`).ReplaceAll(body, nil)
	})
	got1, err := DecodeFile(old1)
	if err != nil {
		t.Fatal(err)
	}
	if c := got1.Plan.Group("web").Calls[0]; !c.Resume || c.Marker != m1 {
		t.Errorf("resumed call of a v1 batch: %+v, want marker %s", c, m1)
	}
}

// TestFileCarriesMovesAndRemoves checks that a saved plan keeps its moves and removes, and
// that one whose move was changed is refused when read.
func TestFileCarriesMovesAndRemoves(t *testing.T) {
	st := boughtState(map[string]int{"web": 2, "old": 1})
	f := testFleet(testGroup("frontend", 2))
	f.Moved = []spec.Moved{{From: "web", To: "frontend"}}
	f.Removed = []spec.Removed{{From: "old"}}
	p := Compute(f, st)
	if !p.Applyable() || !p.HasChanges() {
		t.Fatalf("plan: applyable %v, changes %v, diagnostics %v", p.Applyable(), p.HasChanges(), p.Diagnostics)
	}
	pf, err := NewFile(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeFile(b)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, MovedFrom string
		Action          Action
	}
	var got []row
	for _, g := range back.Plan.Groups {
		got = append(got, row{g.Name, g.MovedFrom, g.Action})
	}
	want := []row{{"frontend", "web", ActionMove}, {"old", "", ActionRemove}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	if back.Plan.Summary.Moved != 1 || back.Plan.Summary.Removed != 1 {
		t.Errorf("summary: got %+v, want 1 moved and 1 removed", back.Plan.Summary)
	}
	bad := strings.Replace(string(b), `"moved_from": "web"`, `"moved_from": "frontend"`, 1)
	if bad == string(b) {
		t.Fatal("no moved_from in the file")
	}
	if _, err := DecodeFile([]byte(bad)); err == nil {
		t.Error("a saved plan whose move was changed was accepted")
	}
}
