package catalog

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEmbeddedCatalogParses(t *testing.T) {
	c, err := Parse(embedded)
	if err != nil {
		t.Fatalf("Parse(catalog.json): %v", err)
	}
	first, second := Default(), Default()
	if first == nil {
		t.Fatal("Default() = nil")
	}
	if first != second {
		t.Error("Default() returns a new catalog on each call; want one shared catalog")
	}
	if len(c.Notes()) == 0 {
		t.Error("catalog has no notes; the sources and conflicts must be explained")
	}
}

func TestEmbeddedCatalogIsConsistent(t *testing.T) {
	c := Default()
	wantFamilies := []string{"CVM.S1", "CVM.S2", "CVM.I1", "CVM.I2", "CVM.M1", "CVM.M2", "CVM.C2"}
	if diff := cmp.Diff(wantFamilies, c.FamilyNames()); diff != "" {
		t.Errorf("families (-want +got):\n%s", diff)
	}
	for _, f := range c.Families() {
		if len(f.Pairs()) == 0 {
			t.Errorf("family %s has no cpu/mem pairs", f.Name)
		}
		if len(f.StorageTypes()) == 0 {
			t.Errorf("family %s offers no storage type", f.Name)
		}
		for _, p := range f.Pairs() {
			if !f.HasPair(p.CPU, p.Mem) {
				t.Errorf("family %s: Pairs lists %s but HasPair denies it", f.Name, p)
			}
		}
	}
	codes := map[string]string{}
	zones := map[int]string{}
	for _, r := range c.Regions() {
		if len(r.Zones) == 0 {
			t.Errorf("region %s has no zones", r.Code)
		}
		for _, code := range append([]string{r.Code}, r.Short...) {
			if other, ok := codes[code]; ok {
				t.Errorf("code %q names both %s and %s", code, other, r.Code)
			}
			codes[code] = r.Code
			got, ok := c.Region(code)
			if !ok || got != r {
				t.Errorf("Region(%q) = %v, %v; want region %s", code, got, ok, r.Code)
			}
		}
		for _, z := range r.Zones {
			if other, ok := zones[z.ID]; ok {
				t.Errorf("zone %d is in both %s and %s", z.ID, other, r.Code)
			}
			zones[z.ID] = r.Code
			if !r.HasZone(z.ID) {
				t.Errorf("region %s: HasZone(%d) = false for a listed zone", r.Code, z.ID)
			}
		}
	}
	for _, os := range []string{"linux", "windows"} {
		if _, ok := c.SystemDisk(os); !ok {
			t.Errorf("no system-disk rule for %s", os)
		}
	}
}

func TestRegionLookup(t *testing.T) {
	c := Default()
	tests := []struct {
		code     string
		want     string
		wantZone int
	}{
		{"ap-guangzhou", "ap-guangzhou", 100001},
		{"gz", "ap-guangzhou", 100001},
		{"bj", "ap-beijing", 800001},
		{"shjr", "ap-shanghai-fsi", 700001},
		{"szjr", "ap-shenzhen-fsi", 110001},
		{"ca", "na-toronto", 400001},
		{"usw", "na-siliconvalley", 150001},
	}
	for _, tt := range tests {
		r, ok := c.Region(tt.code)
		if !ok {
			t.Errorf("Region(%q) not found; want %s", tt.code, tt.want)
			continue
		}
		if r.Code != tt.want || r.DefaultZone().ID != tt.wantZone {
			t.Errorf("Region(%q) = %s with default zone %d; want %s with %d", tt.code, r.Code, r.DefaultZone().ID, tt.want, tt.wantZone)
		}
	}
	for _, code := range []string{"", "GZ", "ap-mars", "guangzhou"} {
		if r, ok := c.Region(code); ok {
			t.Errorf("Region(%q) = %s; want not found", code, r.Code)
		}
	}
	gz, _ := c.Region("gz")
	if !gz.HasZone(100003) || gz.HasZone(100005) || gz.HasZone(800001) {
		t.Errorf("Guangzhou zones = %v; want 100003 in, 100005 and 800001 out", gz.ZoneIDs())
	}
}

func TestFamilyPairsAndStorage(t *testing.T) {
	c := Default()
	s2, ok := c.Family("CVM.S2")
	if !ok {
		t.Fatal("Family(CVM.S2) not found")
	}
	if !s2.HasPair(2, 4) || !s2.HasPair(56, 224) || s2.HasPair(2, 2) || s2.HasPair(3, 6) {
		t.Errorf("CVM.S2 pairs wrong: %v", s2.Pairs())
	}
	if _, ok := c.Family("S2"); ok {
		t.Error("Family(S2) found; only the exact name CVM.S2 names the family")
	}
	c2, _ := c.Family("CVM.C2")
	for _, p := range []Pair{{16, 60}, {16, 64}, {32, 96}, {32, 120}} {
		if !c2.HasPair(p.CPU, p.Mem) {
			t.Errorf("CVM.C2 lacks %s; conflicting sources must be united", p)
		}
	}
	tests := []struct {
		family  string
		typ     int
		want    StorageRange
		offered bool
	}{
		{"CVM.S1", LocalHDD, StorageRange{LocalHDD, 10, 1600}, true},
		{"CVM.S1", BasicCloud, StorageRange{BasicCloud, 10, 16000}, true},
		{"CVM.S1", LocalSSD, StorageRange{}, false},
		{"CVM.M2", LocalHDD, StorageRange{LocalHDD, 10, 2500}, true},
		{"CVM.I1", LocalHDD, StorageRange{}, false},
		{"CVM.I1", BasicCloud, StorageRange{}, false},
		{"CVM.I1", LocalSSD, StorageRange{LocalSSD, 50, 7000}, true},
		{"CVM.I2", LocalSSD, StorageRange{LocalSSD, 50, 5000}, true},
		{"CVM.C2", LocalSSD, StorageRange{LocalSSD, 50, 900}, true},
		{"CVM.C2", 4, StorageRange{}, false},
	}
	for _, tt := range tests {
		f, _ := c.Family(tt.family)
		got, ok := f.Storage(tt.typ)
		if ok != tt.offered || got != tt.want {
			t.Errorf("%s.Storage(%d) = %+v, %v; want %+v, %v", tt.family, tt.typ, got, ok, tt.want, tt.offered)
		}
	}
}

func TestNearest(t *testing.T) {
	s2, _ := Default().Family("CVM.S2")
	got := s2.Nearest(2, 6, 2)
	want := []Pair{{2, 8}, {2, 4}} // 8 is nearer 6 than 4 is, in ratio
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Nearest(2, 6) (-want +got):\n%s", diff)
	}
	if got := s2.Nearest(0, -1, 1); len(got) != 1 || got[0] != (Pair{1, 1}) {
		t.Errorf("Nearest(0, -1, 1) = %v; want [1/1]", got)
	}
	// 1/2, 2/4 and 4/8 are equally far from 4/2; the pair with the asked cores comes first.
	if got := s2.Nearest(4, 2, 1); len(got) != 1 || got[0] != (Pair{4, 8}) {
		t.Errorf("Nearest(4, 2, 1) = %v; want [4/8]", got)
	}
	if got := s2.Nearest(2, 4, 100); len(got) != len(s2.Pairs()) || got[0] != (Pair{2, 4}) {
		t.Errorf("Nearest(2, 4, 100) = %v; want every pair, 2/4 first", got)
	}
}

func TestParseRejectsInconsistentCatalogs(t *testing.T) {
	var base map[string]any
	if err := json.Unmarshal(embedded, &base); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		b, _ := json.Marshal(base)
		_ = json.Unmarshal(b, &m)
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	family := func(m map[string]any, i int) map[string]any { return m["families"].([]any)[i].(map[string]any) }
	region := func(m map[string]any, i int) map[string]any { return m["regions"].([]any)[i].(map[string]any) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not json", []byte("{"), "parse catalog"},
		{"unknown field", edit(func(m map[string]any) { m["extra"] = 1 }), "unknown field"},
		{"version", edit(func(m map[string]any) { m["format_version"] = "2.0" }), "format_version"},
		{"no pairs", edit(func(m map[string]any) { family(m, 0)["pairs"] = []any{} }), "no cpu/mem pairs"},
		{"bad pair", edit(func(m map[string]any) { family(m, 0)["pairs"] = []any{[]any{1}} }), "want [cpu, mem]"},
		{"repeated pair", edit(func(m map[string]any) { family(m, 1)["pairs"] = []any{[]any{1, 1}, []any{1, 1}} }), "listed twice"},
		{"no storage", edit(func(m map[string]any) { family(m, 2)["storage"] = []any{} }), "no storage types"},
		{"unknown storage", edit(func(m map[string]any) {
			family(m, 2)["storage"] = []any{map[string]any{"type": 9, "min": 10, "max": 20}}
		}), "unknown storage type 9"},
		{"bad range", edit(func(m map[string]any) {
			family(m, 2)["storage"] = []any{map[string]any{"type": 3, "min": 50, "max": 45}}
		}), "is not a positive range"},
		{"duplicate family", edit(func(m map[string]any) { family(m, 1)["name"] = "CVM.S1" }), "CVM.S1: listed twice"},
		{"no zones", edit(func(m map[string]any) { region(m, 0)["zones"] = []any{} }), "no zones"},
		{"short code clash", edit(func(m map[string]any) { region(m, 1)["short"] = []any{"gz"} }), `code "gz" already names region ap-guangzhou`},
		{"zone clash", edit(func(m map[string]any) {
			region(m, 1)["zones"] = []any{map[string]any{"id": 100001, "name": "x"}}
		}), "zone 100001 already belongs to ap-guangzhou"},
		{"trailing data", append(append([]byte{}, embedded...), []byte("{}")...), "data after"},
		{"trailing brace", append(append([]byte{}, embedded...), []byte("}")...), "data after"},
		{"trailing bracket", append(append([]byte{}, embedded...), []byte("]")...), "data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestStorageTypeLookup(t *testing.T) {
	c := Default()
	st, ok := c.StorageType(3)
	if want := (StorageType{ID: 3, Name: "local_ssd", Description: "local SSD"}); !ok || st != want {
		t.Errorf("StorageType(3) = %+v, %v; want %+v, true", st, ok, want)
	}
	if st, ok := c.StorageType(9); ok {
		t.Errorf("StorageType(9) = %+v, true; want false for an unknown id", st)
	}
	if got := c.StorageTypeName(2); got != "cloud" {
		t.Errorf("StorageTypeName(2) = %q; want %q", got, "cloud")
	}
	if got := c.StorageTypeName(9); got != "9" {
		t.Errorf("StorageTypeName(9) = %q; want the number %q", got, "9")
	}
}
