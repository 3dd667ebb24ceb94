package spec

import (
	"sort"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load as a native or a JSON spec file, with a variable
// value on the side, and checks that it never panics and that what it returns is consistent.
// The seed corpus is in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(ldHeader+"group \"a\" {\n  count = 1\n}\n"), false, "1")
	f.Fuzz(func(t *testing.T, src []byte, jsonSyntax bool, value string) {
		name := "a.fleet.hcl"
		if jsonSyntax {
			name = "a.fleet.json"
		}
		in := Inputs{Vars: map[string]string{"v": value}, Env: map[string]string{"w": value}}
		fl, diags := Load([]File{{Name: name, Src: src}}, in)
		if fl == nil {
			t.Fatal("Load returned a nil fleet")
		}
		if len(diags) != len(fl.Diags) {
			t.Fatalf("returned %d diagnostics, Fleet.Diags has %d", len(diags), len(fl.Diags))
		}
		all := map[diagKey]bool{}
		for _, d := range diags {
			if Code(d) == "" || d.Summary == "" || d.Detail == "" {
				t.Fatalf("diagnostic without code, summary or detail: %q %q %q", Code(d), d.Summary, d.Detail)
			}
			all[keyOf(d)] = true
		}
		names := make([]string, len(fl.Groups))
		for i, g := range fl.Groups {
			names[i] = g.Name
			for _, d := range g.Diags {
				if !all[keyOf(d)] {
					t.Fatalf("group %s has a diagnostic missing from Fleet.Diags: %s", g.Name, d.Summary)
				}
			}
			for attr := range g.Ranges {
				if _, ok := groupAttrIndex[attr]; !ok || attr == "for_each" {
					t.Fatalf("group %s has a range for %q", g.Name, attr)
				}
				if _, ok := g.Literals[attr]; !ok {
					t.Fatalf("group %s: %s has a range but no literal flag", g.Name, attr)
				}
			}
		}
		if !sort.StringsAreSorted(names) {
			t.Fatalf("groups not sorted: %v", names)
		}
		for i := 1; i < len(names); i++ {
			if names[i] == names[i-1] {
				t.Fatalf("group %s twice", names[i])
			}
		}
	})
}
