package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

func TestRuleRenew(t *testing.T) {
	ruleCase{valid: []string{`renew = "never"`}, invalid: []string{`renew = "flet"`},
		code: "renew", line: 5, col: 11}.run(t)
	ruleCase{valid: []string{`renew = "auto"`}, invalid: []string{"count = 1", `renew = "yes"`},
		code: "renew", line: 6, col: 11}.run(t)
	d := ruleDetail(t, ruleSpec("gz", []string{`renew = "flet"`}, ""), "renew")
	want := `The renewal mode "flet" is not one of "notify", "auto", "fleet" or "never". Did you mean "fleet"? ` +
		`Set renew to "notify" to only be shown when instances expire, "auto" for the cloud to renew them one month ` +
		`at each expiry, "fleet" for apply to renew them, or "never" to let them expire.`
	if d != want {
		t.Errorf("detail:\n got %s\nwant %s", d, want)
	}
	for in, hint := range map[string]string{"Fleet": `Did you mean "fleet"?`, "notfy": `Did you mean "notify"?`,
		"nevr": `Did you mean "never"?`, "weekly": ""} {
		d := ruleDetail(t, ruleSpec("gz", []string{`renew = "` + in + `"`}, ""), "renew")
		if hint == "" && strings.Contains(d, "Did you mean") || hint != "" && !strings.Contains(d, hint) {
			t.Errorf("renew = %q: detail %q, want suggestion %q", in, d, hint)
		}
	}
	// A renew of the wrong type is a type error at the value.
	ruleCase{valid: []string{`renew = "fleet"`}, invalid: []string{"renew = [1]"}, code: "type", line: 5, col: 11}.run(t)
}

func TestRuleRenewWithin(t *testing.T) {
	for _, n := range []string{"0", "61", "-1", "1.5"} {
		ruleCase{valid: []string{`renew = "fleet"`, "renew_within_days = 60"},
			invalid: []string{`renew = "fleet"`, "renew_within_days = " + n},
			code:    "renew-within", line: 6, col: 23}.run(t)
	}
	ruleCase{valid: []string{`renew = "fleet"`, "renew_within_days = 1"},
		invalid: []string{`renew = "fleet"`, `renew_within_days = "x"`}, code: "type", line: 6, col: 23}.run(t)
	d := ruleDetail(t, ruleSpec("gz", []string{`renew = "fleet"`, "renew_within_days = 90"}, ""), "renew-within")
	want := "renew_within_days is 90. Apply renews an instance that expires within this many days; set it to a " +
		"whole number of days from 1 to 60."
	if d != want {
		t.Errorf("detail:\n got %s\nwant %s", d, want)
	}
}

func TestRuleRenewPeriod(t *testing.T) {
	for _, n := range []string{"0", "37", "-2", "2.5"} {
		ruleCase{valid: []string{`renew = "fleet"`, "renew_period = 36"},
			invalid: []string{`renew = "fleet"`, "renew_period = " + n},
			code:    "renew-period", line: 6, col: 18}.run(t)
	}
	d := ruleDetail(t, ruleSpec("gz", []string{`renew = "fleet"`, "renew_period = 48"}, ""), "renew-period")
	want := "renew_period is 48 months. A prepaid instance is renewed for 1 to 36 months; set renew_period within that range."
	if d != want {
		t.Errorf("detail:\n got %s\nwant %s", d, want)
	}
}

func TestRuleRenewUnused(t *testing.T) {
	ruleCase{valid: []string{`renew = "fleet"`, "renew_within_days = 7"}, invalid: []string{"renew_within_days = 7"},
		code: "renew-unused", line: 5, col: 23, warning: true}.run(t)
	ruleCase{valid: []string{`renew = "fleet"`, "renew_period = 3"}, invalid: []string{`renew = "auto"`, "renew_period = 3"},
		code: "renew-unused", line: 6, col: 18, warning: true}.run(t)
	diags := ruleLoad(t, ruleSpec("gz", []string{`renew = "never"`, "renew_period = 3"}, ""))
	if len(diags) != 1 {
		t.Fatalf("got %s; want one renew-unused", ruleDescribe(diags))
	}
	want := oneDiag{Code: "renew-unused", Summary: "Renewal setting without effect", Group: "web", Line: 6}
	if diff := cmp.Diff(want, reduce(diags[0])); diff != "" {
		t.Errorf("diagnostic (-want +got):\n%s", diff)
	}
	wantDetail := `renew_period applies only to groups that fleet renews, and this group has renew = "never", so the ` +
		`value is not used. Set renew = "fleet" for apply to renew the instances, or remove renew_period.`
	if diags[0].Detail != wantDetail {
		t.Errorf("detail:\n got %s\nwant %s", diags[0].Detail, wantDetail)
	}
	// A wrong renew is reported alone: the window may be meant for "fleet".
	diags = ruleLoad(t, ruleSpec("gz", []string{`renew = "flet"`, "renew_within_days = 7"}, ""))
	if len(diags) != 1 || Code(diags[0]) != "renew" {
		t.Errorf("got %s; want renew alone", ruleDescribe(diags))
	}
}

// renewLoad loads one file and returns the fleet, failing on errors.
func renewLoad(t *testing.T, src string) (*Fleet, hcl.Diagnostics) {
	t.Helper()
	f, diags := Load([]File{{Name: "main.fleet.hcl", Src: []byte(src)}}, Inputs{})
	if diags.HasErrors() {
		t.Fatalf("unexpected errors: %s", ldDetails(diags))
	}
	return f, diags
}

func renewals(f *Fleet) map[string]Renewal {
	out := map[string]Renewal{}
	for _, g := range f.Groups {
		out[g.Name] = g.Renewal
	}
	return out
}

func TestLoadRenewalDefaults(t *testing.T) {
	const head = "fleet \"t\" {\n  region = \"gz\"\n}\n"
	const group = "  count = 1\n  cpu = 1\n  mem = 1\n  image_id = \"img-lkxqa4kj\"\n  period = 1\n"
	// Without any renew attribute: notify, 14 days, 1 month.
	f, diags := renewLoad(t, head+"group \"a\" {\n"+group+"}\n")
	if len(diags) != 0 {
		t.Errorf("got %s; want none", ruleDescribe(diags))
	}
	want := map[string]Renewal{"a": {Mode: "notify", WithinDays: 14, Period: 1}}
	if diff := cmp.Diff(want, renewals(f)); diff != "" {
		t.Errorf("renewals (-want +got):\n%s", diff)
	}
	if got := f.Groups[0].Renewal.AutoRenew(); got != 0 {
		t.Errorf("notify: AutoRenew %d, want 0", got)
	}

	// The defaults block sets them for every group; a group overrides one at a time, and a
	// group that takes the window from the defaults but does not renew with fleet is not warned.
	src := head + "defaults {\n  renew = \"fleet\"\n  renew_within_days = 30\n  renew_period = 2\n}\n" +
		"group \"a\" {\n" + group + "}\n" +
		"group \"b\" {\n" + group + "  renew = \"auto\"\n}\n" +
		"group \"c\" {\n" + group + "  renew_period = 12\n}\n"
	f, diags = renewLoad(t, src)
	if len(diags) != 0 {
		t.Errorf("got %s; want none", ruleDescribe(diags))
	}
	want = map[string]Renewal{
		"a": {Mode: "fleet", WithinDays: 30, Period: 2},
		"b": {Mode: "auto", WithinDays: 30, Period: 2},
		"c": {Mode: "fleet", WithinDays: 30, Period: 12},
	}
	if diff := cmp.Diff(want, renewals(f)); diff != "" {
		t.Errorf("renewals (-want +got):\n%s", diff)
	}
	if got := []int{want["a"].AutoRenew(), want["b"].AutoRenew(), Renewal{Mode: "never"}.AutoRenew()}; !cmp.Equal(got, []int{0, 1, 2}) {
		t.Errorf("AutoRenew of fleet, auto, never: %v, want [0 1 2]", got)
	}

	// A window in the defaults that no group uses with fleet has no effect: one warning, at
	// the defaults block.
	src = head + "defaults {\n  renew_within_days = 30\n}\n" +
		"group \"a\" {\n" + group + "}\n" + "group \"b\" {\n" + group + "  renew = \"never\"\n}\n"
	_, diags = renewLoad(t, src)
	if got, want := ldDiags(diags), []string{"renew-unused main.fleet.hcl:5 warning"}; !cmp.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	} else if !strings.Contains(diags[0].Detail, "renew_within_days in the defaults block") {
		t.Errorf("detail %q does not name the defaults block", diags[0].Detail)
	}

	// A wrong renew in the defaults is reported once and makes every group invalid.
	src = head + "defaults {\n  renew = \"flete\"\n}\n" + "group \"a\" {\n" + group + "}\n" + "group \"b\" {\n" + group + "}\n"
	f, diags = Load([]File{{Name: "main.fleet.hcl", Src: []byte(src)}}, Inputs{})
	if got, want := ldDiags(diags), []string{"renew main.fleet.hcl:5"}; !cmp.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, g := range f.Groups {
		if g.Valid() {
			t.Errorf("group %s is valid with a wrong renew in the defaults", g.Name)
		}
	}
}

func TestLoadRenewalForEach(t *testing.T) {
	src := "fleet \"t\" {\n  region = \"gz\"\n}\n" +
		"group \"web\" {\n" +
		"  for_each = { a = \"fleet\", b = \"auto\", c = \"flet\" }\n" +
		"  count = 1\n  cpu = 1\n  mem = 1\n  image_id = \"img-lkxqa4kj\"\n  period = 1\n" +
		"  renew = each.value\n" +
		"  renew_period = 6\n" +
		"}\n"
	f, diags := Load([]File{{Name: "main.fleet.hcl", Src: []byte(src)}}, Inputs{})
	var got []oneDiag
	for _, d := range diags {
		got = append(got, reduce(d))
	}
	want := []oneDiag{
		{Code: "renew", Summary: "Invalid renewal mode in web[c]", Group: "web[c]", Line: 11},
		{Code: "renew-unused", Summary: "Renewal setting without effect in web[b]", Group: "web[b]", Line: 12},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	valid := map[string]bool{}
	for _, g := range f.Groups {
		valid[g.Name] = g.Valid()
	}
	if diff := cmp.Diff(map[string]bool{"web[a]": true, "web[b]": true, "web[c]": false}, valid); diff != "" {
		t.Errorf("Valid (-want +got):\n%s", diff)
	}
	rn := renewals(f)
	if rn["web[a]"] != (Renewal{Mode: "fleet", WithinDays: 14, Period: 6}) || rn["web[b]"].Mode != "auto" {
		t.Errorf("renewals %v", rn)
	}
}

// TestRenewalNotAParameter checks that the renewal attributes leave the RunInstances
// parameters, and so the client tokens and markers made of them, as they were.
func TestRenewalNotAParameter(t *testing.T) {
	const base = "fleet \"t\" {\n  region = \"gz\"\n}\ngroup \"a\" {\n  count = 1\n  cpu = 1\n  mem = 1\n" +
		"  image_id = \"img-lkxqa4kj\"\n  period = 1\n"
	plain, _ := renewLoad(t, base+"}\n")
	renewed, _ := renewLoad(t, base+"  renew = \"fleet\"\n  renew_within_days = 30\n  renew_period = 12\n}\n")
	if diff := cmp.Diff(plain.Groups[0].Config, renewed.Groups[0].Config); diff != "" {
		t.Errorf("config (-plain +renewed):\n%s", diff)
	}
	if diff := cmp.Diff(plain.Groups[0].Config.Params(), renewed.Groups[0].Config.Params()); diff != "" {
		t.Errorf("params (-plain +renewed):\n%s", diff)
	}
	for k := range renewed.Groups[0].Config.Params() {
		if strings.Contains(strings.ToLower(k), "renew") {
			t.Errorf("parameter %s sent to RunInstances", k)
		}
	}
}
