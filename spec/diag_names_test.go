package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// oneDiag is a diagnostic reduced to what a test asserts.
type oneDiag struct {
	Code, Summary, Group string
	Line                 int
}

func reduce(d *hcl.Diagnostic) oneDiag {
	o := oneDiag{Code: Code(d), Summary: d.Summary, Group: DiagGroup(d)}
	if d.Subject != nil {
		o.Line = d.Subject.Start.Line
	}
	return o
}

func TestUnknownAttributeAliases(t *testing.T) {
	for _, tc := range []struct{ written, want string }{
		{"memory", "mem"},
		{"zone", "zone_id"},
		{"type", "instance_type"},
		{"image", "image_id"},
		{"instances", "count"},
		{"replicas", "count"},
		{"disk_size", "storage_size"},
		{"vpc", "vpc_id"},
		{"subnet", "subnet_id"},
		{"availability_zone", "zone_id"},
		{"internet_max_bandwidth_out", "bandwidth"},
		{"auto_renew", "renew"},
		{"renew_days", "renew_within_days"},
	} {
		t.Run(tc.written, func(t *testing.T) {
			_, diags := Load(ldSpec("  "+tc.written+" = 1"), Inputs{})
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want 1:\n%s", len(diags), ldDetails(diags))
			}
			d := diags[0]
			want := oneDiag{Code: "unknown-attribute", Summary: "Unknown attribute", Group: "a", Line: 11}
			if diff := cmp.Diff(want, reduce(d)); diff != "" {
				t.Errorf("diagnostic (-want +got):\n%s", diff)
			}
			wantDetail := `A group block has no attribute "` + tc.written + `". Did you mean "` + tc.want + `"? Correct the name or remove the attribute.`
			if d.Detail != wantDetail {
				t.Errorf("detail:\n got %s\nwant %s", d.Detail, wantDetail)
			}
		})
	}
}

// An alias is not offered where the attribute it names does not exist: the fleet block has
// no zone_id.
func TestUnknownAttributeAliasOnlyWhereItApplies(t *testing.T) {
	_, diags := Load(ldFiles("a.fleet.hcl", "fleet \"prod\" {\n  region = \"gz\"\n  zone = 3\n}\n"), Inputs{})
	if len(diags) != 1 || Code(diags[0]) != "unknown-attribute" {
		t.Fatalf("diagnostics:\n%s", ldDetails(diags))
	}
	if strings.Contains(diags[0].Detail, "zone_id") {
		t.Errorf("detail suggests zone_id in the fleet block: %s", diags[0].Detail)
	}
}

func TestZoneNameSuggestsZoneID(t *testing.T) {
	for _, tc := range []struct{ zone, detail string }{
		{`"ap-guangzhou-3"`, `zone_id must be a whole number, but this value is a string that cannot be read as a number. ` +
			`Write a number, such as zone_id = 2. "ap-guangzhou-3" is Guangzhou Zone 3; this API takes its numeric id: did you mean zone_id = 100003?`},
		{`"ap-shanghai-2"`, `zone_id must be a whole number, but this value is a string that cannot be read as a number. ` +
			`Write a number, such as zone_id = 2. "ap-shanghai-2" is Shanghai Zone 2; this API takes its numeric id: did you mean zone_id = 200002? ` +
			`That zone is in ap-shanghai, not in this fleet's region ap-guangzhou.`},
		{`"ap-guangzhou-5"`, `zone_id must be a whole number, but this value is a string that cannot be read as a number. ` +
			`Write a number, such as zone_id = 2.`},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			_, diags := Load(ldSpec("  zone_id = "+tc.zone), Inputs{})
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want 1:\n%s", len(diags), ldDetails(diags))
			}
			want := oneDiag{Code: "type", Summary: "Wrong type for zone_id", Group: "a", Line: 11}
			if diff := cmp.Diff(want, reduce(diags[0])); diff != "" {
				t.Errorf("diagnostic (-want +got):\n%s", diff)
			}
			if diags[0].Detail != tc.detail {
				t.Errorf("detail:\n got %s\nwant %s", diags[0].Detail, tc.detail)
			}
		})
	}
}

const forEachSpec = ldHeader + `group "web" {
  for_each = { gz3 = 100003, gz9 = 100009, bad = "ap-guangzhou-4" }
  count    = 1
  zone_id  = each.value
  period   = 40
}
`

// A diagnostic made for some keys of a for_each names them; one that every key shares (the
// period, written once for the block) is reported once, about the block.
func TestForEachKeyInDiagnostics(t *testing.T) {
	f, diags := Load(ldFiles("a.fleet.hcl", forEachSpec), Inputs{})
	got := make([]oneDiag, len(diags))
	for i, d := range diags {
		got[i] = reduce(d)
	}
	want := []oneDiag{
		{Code: "type", Summary: "Wrong type for zone_id in web[bad]", Group: "web[bad]", Line: 12},
		{Code: "zone-id", Summary: "Invalid zone in web[gz9]", Group: "web[gz9]", Line: 12},
		{Code: "period-range", Summary: "Invalid purchase period", Group: "web", Line: 13},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, ldDetails(diags))
	}
	if len(diags) == 3 && !strings.Contains(diags[0].Detail, "did you mean zone_id = 100004?") {
		t.Errorf("zone name detail: %s", diags[0].Detail)
	}
	// Each group carries its own diagnostics with the same summaries.
	for _, g := range f.Groups {
		if g.Name != "web[gz9]" {
			continue
		}
		var sums []string
		for _, d := range g.Diags {
			sums = append(sums, d.Summary)
		}
		if diff := cmp.Diff([]string{"Invalid zone in web[gz9]", "Invalid purchase period"}, sums); diff != "" {
			t.Errorf("web[gz9] diagnostics (-want +got):\n%s", diff)
		}
	}
}

// A for_each with one key names it: the range does not tell the key.
func TestForEachSingleKeyNamed(t *testing.T) {
	src := ldHeader + "group \"web\" {\n  for_each = toset([\"gz3\"])\n  count    = 1\n  period   = 40\n}\n"
	_, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	if len(diags) != 1 {
		t.Fatalf("%d diagnostics, want 1:\n%s", len(diags), ldDetails(diags))
	}
	want := oneDiag{Code: "period-range", Summary: "Invalid purchase period in web[gz3]", Group: "web[gz3]", Line: 12}
	if diff := cmp.Diff(want, reduce(diags[0])); diff != "" {
		t.Errorf("diagnostic (-want +got):\n%s", diff)
	}
}

// A diagnostic of the defaults block, shared by groups of several blocks, is about none.
func TestDefaultsDiagnosticHasNoGroup(t *testing.T) {
	src := strings.Replace(ldHeader, "period   = 12", "period   = 40", 1) +
		"group \"a\" {\n  count = 1\n}\ngroup \"b\" {\n  count = 1\n}\n"
	_, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	if len(diags) != 1 {
		t.Fatalf("%d diagnostics, want 1:\n%s", len(diags), ldDetails(diags))
	}
	want := oneDiag{Code: "period-range", Summary: "Invalid purchase period", Line: 7}
	if diff := cmp.Diff(want, reduce(diags[0])); diff != "" {
		t.Errorf("diagnostic (-want +got):\n%s", diff)
	}
}
