package planview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fleet/internal/golden"
	"fleet/internal/secret"
	"fleet/planner"
	"fleet/spec"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

const specSrc = `fleet "prod" {
  region = "ap-guangzhou"
}

group "db" {
  count  = 2
  cpu    = 3
  mem    = 7
  period = 12
}
`

func params(goods int, token string, extra ...string) map[string]string {
	p := map[string]string{
		"cpu": "2", "mem": "4", "imageId": "img-lkxqa4kj", "imageType": "2", "period": "12",
		"instanceType": "CVM.S2", "zoneId": "100003", "goodsNum": fmt.Sprint(goods), "clientToken": token,
		"password": secret.Hash("Secret-Passw0rd"),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

func call(group string, seq, goods int, resume bool, extra ...string) *planner.Call {
	token := fmt.Sprintf("prod-%s-%d-%x", group, seq, 0xabc123+seq)
	return &planner.Call{Group: group, Seq: seq, ClientToken: token, GoodsNum: goods, Params: params(goods, token, extra...), Resume: resume}
}

func at(line, col, byteOff, n int) *hcl.Range {
	return &hcl.Range{Filename: "main.fleet.hcl", Start: hcl.Pos{Line: line, Column: col, Byte: byteOff}, End: hcl.Pos{Line: line, Column: col + n, Byte: byteOff + n}}
}

// mixedPlan has a group of every action, a config diff, private IPs and diagnostics.
func mixedPlan() (*planner.Plan, map[string][]byte) {
	diff := "--- cache (bought)\n+++ cache (desired)\n@@ -1,3 +1,3 @@\n cpu = 2\n-imageId = img-old00000\n+imageId = img-lkxqa4kj\n mem = 4\n"
	p := &planner.Plan{
		Fleet: "prod", Region: "ap-guangzhou", StateLineage: "5f0c9a3e-lineage", StateSerial: 7,
		Groups: []*planner.GroupPlan{
			{Name: "api", Action: planner.ActionResume, Desired: 6, Current: 0, Pending: 4, Purchase: 2,
				Calls: []*planner.Call{call("api", 0, 4, true), call("api", 1, 2, false)}},
			{Name: "cache", Action: planner.ActionNone, Desired: 3, Current: 3, ConfigDiff: diff,
				Config: map[string]string{"cpu": "2", "mem": "4", "imageId": "img-lkxqa4kj", "period": "12", "instanceType": "CVM.S3",
					"rootSize": "50", "storageType": "2", "storageSize": "100", "vpcId": "vpc-2x7lhtse", "subnetId": "subnet-3lzrkspo",
					"wanIp": "1", "bandwidth": "10", "bandwidthType": "PayByTraffic"}},
			{Name: "db", Action: planner.ActionInvalid, Desired: 2},
			{Name: "ips", Action: planner.ActionPurchase, Desired: 2, Purchase: 2,
				Calls: []*planner.Call{call("ips", 0, 1, false, "privateIpAddresses.0", "10.0.0.1"), call("ips", 1, 1, false, "privateIpAddresses.0", "10.0.0.2")}},
			{Name: "old", Action: planner.ActionOrphan, Current: 3},
			{Name: "web[gz3]", Action: planner.ActionPurchase, Desired: 250, Current: 0, Purchase: 250,
				Calls: []*planner.Call{call("web", 0, 100, false), call("web", 1, 100, false), call("web", 2, 50, false)}},
			{Name: "win", Action: planner.ActionLapse, Desired: 2, Current: 5, RenewMode: "fleet",
				Lapse:    []string{"ins-win00001", "ins-win00002", "ins-win00003"},
				Flags:    []*planner.FlagChange{{Flag: 0, InstanceIDs: []string{"ins-win00005"}}, {Flag: 2, InstanceIDs: []string{"ins-win00001", "ins-win00002"}}},
				Renewals: []*planner.Renewal{{InstanceID: "ins-win00004", Deadline: deadline(-2), Period: 3, Expired: true}, {InstanceID: "ins-win00005", Deadline: deadline(5), Period: 3}},
				Calendar: planner.Calendar{Earliest: ptr(deadline(-2)), Expired: 1, Within7: 3, Within30: 4, Within90: 4}},
		},
		Diagnostics: hcl.Diagnostics{
			spec.WithCode("cpu-mem-combination", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No such cpu and mem pair",
				Detail: "CVM.S1 offers no instance with 3 cores and 7 GB. Choose a pair from the catalog, e.g. cpu = 2 and mem = 8.", Subject: at(7, 12, 89, 1)}),
			spec.WithCode("config-drift", &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Configuration changed since purchase",
				Detail: "Existing instances keep their old configuration; only new ones get the new one."}),
			spec.WithCode("orphan", &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: `Group "old" is in the state but not in the spec`,
				Detail: "Its instances are not returned. Remove it from the state with fleet state rm old once they are gone."}),
			spec.WithCode("deadlines-stale", &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Deadlines not known or not fresh",
				Detail: "3 deadlines were read more than a day ago, in group old."}),
		},
		Summary: planner.Summary{Purchase: 256, Calls: 7, InstanceMonths: 3072, Renew: 2, RenewMonths: 6, Flags: 3, Lapse: 3,
			Calendar: planner.Calendar{Earliest: ptr(deadline(-2)), Expired: 1, Within7: 3, Within30: 4, Within90: 4}},
		At: deadline(0),
	}
	return p, map[string][]byte{"main.fleet.hcl": []byte(specSrc)}
}

// deadline returns a time days after the mixed plan's time.
func deadline(days int) time.Time {
	return time.Date(2027, 1, 10, 2, 0, 0, 0, time.UTC).AddDate(0, 0, days)
}

func ptr[T any](v T) *T { return &v }

func noChangesPlan() *planner.Plan {
	return &planner.Plan{
		Fleet: "prod", Region: "ap-guangzhou", StateLineage: "5f0c9a3e-lineage", StateSerial: 8,
		Groups: []*planner.GroupPlan{
			{Name: "api", Action: planner.ActionNone, Desired: 6, Current: 6},
			{Name: "web", Action: planner.ActionNone, Desired: 250, Current: 250},
		},
	}
}

func render(t *testing.T, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestHumanGolden(t *testing.T) {
	p, sources := mixedPlan()
	out := render(t, func(b *bytes.Buffer) error { return Human(b, p, sources, false) })
	golden.Check(t, "mixed.txt", out)
	golden.Check(t, "nochanges.txt", render(t, func(b *bytes.Buffer) error { return Human(b, noChangesPlan(), nil, false) }))
	golden.Check(t, "mixed-color.txt", render(t, func(b *bytes.Buffer) error { return Human(b, p, sources, true) }))
}

func TestHumanContent(t *testing.T) {
	p, sources := mixedPlan()
	out := string(render(t, func(b *bytes.Buffer) error { return Human(b, p, sources, false) }))
	for _, want := range []string{
		"~ api: resume 4 pending instances, then buy 2 more (desired 6, current 0, pending 4)\n",
		"    call 0: 4 instances, token prod-api-0-abc123, resumed as recorded\n",
		"! db: invalid, nothing is bought (desired 2, current 0)\n",
		"    call 1: 1 instance, token prod-ips-1-abc124, private IP 10.0.0.2\n",
		"+ web[gz3]: buy 250 instances (desired 250, current 0)\n" +
			"    buys CVM.S2, 2 cpu, 4 GB mem, zone 100003, image img-lkxqa4kj, 12 months, disks root 0 GB, network classic, no public IP\n",
		"- old: in the state but not in the spec, nothing is returned (current 3)\n",
		"> win: let 3 surplus instances lapse at expiry, nothing is returned, renew 2 instances, set the renew flag of 1 instance (desired 2, current 5)\n",
		"    lapses ins-win00001, ins-win00002, ins-win00003 (2 of them set not to renew now): they leave the group at expiry (count 2, current 5)\n",
		"    expiry: earliest 2027-01-08 02:00 UTC; 1 expired, 3 within 7 days, 4 within 30, 4 within 90\n",
		"  cache: nothing to buy, configuration changed (desired 3, current 3)\n" +
			"    desired CVM.S3, 2 cpu, 4 GB mem, any zone, image img-lkxqa4kj, 12 months, disks root 50 GB, data 100 GB (cloud), " +
			"network vpc-2x7lhtse/subnet-3lzrkspo, public IP 10 Mbps (PayByTraffic)\n" +
			"    configuration bought -> desired (existing instances keep theirs):\n      --- cache (bought)\n",
		"  7 |   cpu    = 3\n    |            ^\n",
		"Plan: 256 instances in 7 RunInstances calls, 3,072 instance-months. Renew: 2 instances, 6 instance-months. Renew flags: 3 instances. Lapse: 3 instances.\n" + notApplyableLine + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("human output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("output without colour has escape sequences")
	}
	if strings.Contains(out, "Secret-Passw0rd") {
		t.Error("output shows the password")
	}
}

func TestHumanColorDiff(t *testing.T) {
	p, sources := mixedPlan()
	out := string(render(t, func(b *bytes.Buffer) error { return Human(b, p, sources, true) }))
	for _, want := range []string{"\x1b[32m+imageId = img-lkxqa4kj\x1b[0m", "\x1b[31m-imageId = img-old00000\x1b[0m", "\x1b[31m!\x1b[0m"} {
		if !strings.Contains(out, want) {
			t.Errorf("coloured output lacks %q", want)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	fen := int64(123456789)
	for _, tc := range []struct {
		s    planner.Summary
		want string
	}{
		{planner.Summary{Purchase: 259, Calls: 6, InstanceMonths: 3108}, "Plan: 259 instances in 6 RunInstances calls, 3,108 instance-months."},
		{planner.Summary{Purchase: 1, Calls: 1, InstanceMonths: 1}, "Plan: 1 instance in 1 RunInstances call, 1 instance-month."},
		{planner.Summary{Purchase: 2000000, Calls: 20000, InstanceMonths: 72000000}, "Plan: 2,000,000 instances in 20,000 RunInstances calls, 72,000,000 instance-months."},
		{planner.Summary{Purchase: 12, Calls: 1, InstanceMonths: 144, PriceFen: &fen}, "Plan: 12 instances in 1 RunInstances call, 144 instance-months. Price: 1,234,567.89 CNY."},
	} {
		if got := summaryLine(tc.s); got != tc.want {
			t.Errorf("summaryLine(%+v):\n got %s\nwant %s", tc.s, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 3108: "3,108", 1234567: "1,234,567", -45678: "-45,678"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 100: "1.00", 123456: "1,234.56", -250: "-2.50"} {
		if got := yuan(fen); got != want {
			t.Errorf("yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestNoChangesLine(t *testing.T) {
	out := string(render(t, func(b *bytes.Buffer) error { return Human(b, noChangesPlan(), nil, false) }))
	if !strings.HasSuffix(out, "\n"+noChangesLine+"\n") {
		t.Errorf("no-changes plan does not end with %q:\n%s", noChangesLine, out)
	}
	if strings.Contains(out, "Plan:") {
		t.Errorf("no-changes plan has a Plan: line:\n%s", out)
	}
}

func TestJSONGolden(t *testing.T) {
	p, _ := mixedPlan()
	golden.Check(t, "mixed.json", render(t, func(b *bytes.Buffer) error { return JSON(b, p) }))
}

func TestJSONShape(t *testing.T) {
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou",
		Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionPurchase, Desired: 1, Purchase: 1,
			Calls: []*planner.Call{{Group: "web", Seq: 0, ClientToken: "t", GoodsNum: 1}}}}}
	out := render(t, func(b *bytes.Buffer) error { return JSON(b, p) })
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	checks := []struct {
		what string
		got  []string
		want []string
	}{
		{"document", keys(doc), []string{"applyable", "diagnostics", "fleet", "format_version", "groups", "region", "state", "summary", "valid"}},
		{"state", keys(doc["state"].(map[string]any)), []string{"lineage", "serial"}},
		{"group", keys(doc["groups"].([]any)[0].(map[string]any)), []string{"action", "actions", "adopt_or_resume", "calendar", "calls", "config_diff", "current", "desired", "instance_ids", "instances_by_action",
			"lapse", "moved_from", "name", "new_instances_flag", "price_fen", "purchase", "renew_flags", "renew_mode", "renew_price_fen", "renewals", "taken_back", "unresolved"}},
		{"call", keys(doc["groups"].([]any)[0].(map[string]any)["calls"].([]any)[0].(map[string]any)), []string{"client_token", "goods_num", "params", "seq"}},
		{"summary", keys(doc["summary"].(map[string]any)), []string{"calendar", "calls", "instance_months", "lapse", "moved", "price_fen", "purchase", "purchase_price_fen", "removed", "renew", "renew_flag_instances", "renew_months", "renew_price_fen"}},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", c.what, diff)
		}
	}
	for _, want := range []string{`"diagnostics": []`, `"params": {}`, `"price_fen": null`, `"format_version": "1.0"`, `"valid": true`, `"applyable": true`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}

	empty := render(t, func(b *bytes.Buffer) error { return JSON(b, &planner.Plan{Fleet: "x"}) })
	if !bytes.Contains(empty, []byte(`"groups": []`)) || bytes.Contains(empty, []byte(`"diagnostics": null`)) {
		t.Errorf("empty plan JSON has null arrays:\n%s", empty)
	}
}

func TestJSONInvalid(t *testing.T) {
	p, _ := mixedPlan()
	doc := NewDocument(p)
	if doc.Valid || doc.Applyable {
		t.Errorf("plan with an error: valid %v, applyable %v; want false, false", doc.Valid, doc.Applyable)
	}
	if got := doc.Diagnostics[0]; got.Code != "cpu-mem-combination" || got.Range == nil || got.Range.Start.Line != 7 {
		t.Errorf("first diagnostic = %+v, want cpu-mem-combination at line 7", got)
	}
	if got := doc.Groups[0].Calls[0].Params["password"]; got != secret.Hash("Secret-Passw0rd") {
		t.Errorf("password param = %q, want its hash", got)
	}
}

func TestMarkdownGolden(t *testing.T) {
	p, _ := mixedPlan()
	golden.Check(t, "mixed.md", render(t, func(b *bytes.Buffer) error { return Markdown(b, p) }))
	golden.Check(t, "nochanges.md", render(t, func(b *bytes.Buffer) error { return Markdown(b, noChangesPlan()) }))
}

// bigPlan returns a plan of n groups made by mk.
func bigPlan(n int, mk func(i int) (*planner.GroupPlan, *hcl.Diagnostic)) *planner.Plan {
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou"}
	for i := range n {
		g, d := mk(i)
		p.Groups = append(p.Groups, g)
		if d != nil {
			p.Diagnostics = append(p.Diagnostics, d)
		}
		p.Summary.Purchase += g.Purchase
		p.Summary.Calls += len(g.Calls)
	}
	return p
}

func TestMarkdownLimit(t *testing.T) {
	const n = 20000
	long := strings.Repeat("long-name-|`*", 40)
	cases := []struct {
		name     string
		plan     *planner.Plan
		contains []string
	}{
		{
			name: "all purchase",
			plan: bigPlan(n, func(i int) (*planner.GroupPlan, *hcl.Diagnostic) {
				name := fmt.Sprintf("web-%05d", i)
				return &planner.GroupPlan{Name: name, Action: planner.ActionPurchase, Desired: 150, Purchase: 150,
					Calls: []*planner.Call{call(name, 0, 100, false), call(name, 1, 50, false)}}, nil
			}),
			contains: []string{"Plan: 3,000,000 instances in 40,000 RunInstances calls", "more groups: ", "Left out to stay within"},
		},
		{
			name: "steady state with a few changes",
			plan: bigPlan(n, func(i int) (*planner.GroupPlan, *hcl.Diagnostic) {
				name := fmt.Sprintf("web-%05d", i)
				if i%5000 == 0 {
					return &planner.GroupPlan{Name: name, Action: planner.ActionPurchase, Desired: 10, Current: 5, Purchase: 5,
						Calls: []*planner.Call{call(name, 1, 5, false)}}, nil
				}
				return &planner.GroupPlan{Name: name, Action: planner.ActionNone, Desired: 10, Current: 10}, nil
			}),
			contains: []string{"| `web-05000` | purchase |", "19,996 groups without changes"},
		},
		{
			name: "steady state with a drifted group",
			plan: bigPlan(n, func(i int) (*planner.GroupPlan, *hcl.Diagnostic) {
				g := &planner.GroupPlan{Name: fmt.Sprintf("web-%05d", i), Action: planner.ActionNone, Desired: 10, Current: 10}
				if i == 7 {
					// Nothing to buy, but a changed configuration keeps its row.
					g.ConfigDiff = "--- web (bought)\n+++ web (desired)\n@@ -1 +1 @@\n-cpu = 2\n+cpu = 4\n"
				}
				return g, nil
			}),
			contains: []string{"| `web-00007` | none |", "19,999 groups without changes"},
		},
		{
			name: "all invalid with long names",
			plan: bigPlan(n, func(i int) (*planner.GroupPlan, *hcl.Diagnostic) {
				name := fmt.Sprintf("%s-%05d", long, i)
				d := spec.WithCode("period-range", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Period out of range " + long,
					Detail: strings.Repeat("Set period to a whole number of months. ", 50), Subject: at(i+1, 3, i*10, 2)})
				return &planner.GroupPlan{Name: name, Action: planner.ActionInvalid, Desired: 1}, d
			}),
			contains: []string{notApplyableLine, "more diagnostics", "more groups: 19,"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := string(render(t, func(b *bytes.Buffer) error { return Markdown(b, tc.plan) }))
			if len(out) > MarkdownLimit {
				t.Errorf("markdown is %d bytes, over the limit of %d", len(out), MarkdownLimit)
			}
			for _, want := range tc.contains {
				if !strings.Contains(out, want) {
					t.Errorf("markdown lacks %q; it starts:\n%s", want, out[:min(len(out), 2000)])
				}
			}
			if !strings.Contains(out, "| | group | action | type | cpu | mem | zone | image | period | disks | network | desired | current | purchase | calls |") {
				t.Error("markdown lost its table")
			}
		})
	}
}

func TestMarkdownEscaping(t *testing.T) {
	p := &planner.Plan{Fleet: "pr|od", Region: "gz", Groups: []*planner.GroupPlan{
		{Name: "a|b`c<d>", Action: planner.ActionPurchase, Desired: 1, Purchase: 1, Calls: []*planner.Call{call("a", 0, 1, false)},
			ConfigDiff: "--- a\n+++ b\n@@ -1 +1 @@\n-x = ```\n+x = y\n"}},
		Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "a | b * c", Detail: "<script>\nnext"}},
		Summary:     planner.Summary{Purchase: 1, Calls: 1, InstanceMonths: 12},
	}
	out := string(render(t, func(b *bytes.Buffer) error { return Markdown(b, p) }))
	for _, want := range []string{
		"| `+` | ``a\\|b`c<d>`` | purchase | `CVM.S2` | 2 | 4 | zone 100003 | `img-lkxqa4kj` | 12 | root 0 GB | classic, no public IP | 1 | 0 | 1 | 1 |",
		"<summary><code>a|b`c&lt;d&gt;</code>: buy 1 instance</summary>",
		"````diff\n--- a",
		"- :warning: **Warning**: a \\| b \\* c\n\n  \\<script\\> next\n\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestGitHub(t *testing.T) {
	p, _ := mixedPlan()
	golden.Check(t, "mixed.github", render(t, func(b *bytes.Buffer) error { return GitHub(b, p) }))

	many := bigPlan(25, func(i int) (*planner.GroupPlan, *hcl.Diagnostic) {
		sev := hcl.DiagError
		if i%2 == 1 {
			sev = hcl.DiagWarning
		}
		return &planner.GroupPlan{Name: fmt.Sprint(i), Action: planner.ActionInvalid},
			spec.WithCode("x", &hcl.Diagnostic{Severity: sev, Summary: fmt.Sprint("d", i), Subject: at(i+1, 1, 0, 1)})
	})
	out := string(render(t, func(b *bytes.Buffer) error { return GitHub(b, many) }))
	if got := strings.Count(out, "::error "); got != 10 {
		t.Errorf("%d error annotations, want 10", got)
	}
	if got := strings.Count(out, "::warning "); got != 10 {
		t.Errorf("%d warning annotations, want 10", got)
	}
	if !strings.Contains(out, "::notice title=fleet::3 more errors and 2 more warnings not annotated") {
		t.Errorf("no notice of the rest:\n%s", out)
	}
}

func TestNilPlan(t *testing.T) {
	var b bytes.Buffer
	for name, err := range map[string]error{
		"Human": Human(&b, nil, nil, false), "JSON": JSON(&b, nil),
		"Markdown": Markdown(&b, nil), "GitHub": GitHub(&b, nil),
	} {
		if err == nil {
			t.Errorf("%s(nil plan): no error", name)
		}
	}
}

// TestMarkdownLimitRandom renders random plans, large and small, with long names and details,
// and checks that every rendering stays within the limit.
func TestMarkdownLimitRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	chars := []rune("abcdefghij-_|`*<>&[]#\\ é网")
	word := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteRune(chars[r.IntN(len(chars))])
		}
		return b.String()
	}
	actions := []planner.Action{planner.ActionPurchase, planner.ActionNone, planner.ActionResume,
		planner.ActionLapse, planner.ActionRenew, planner.ActionOrphan, planner.ActionInvalid}
	for i := range 12 {
		n := r.IntN(2500)
		p := bigPlan(n, func(j int) (*planner.GroupPlan, *hcl.Diagnostic) {
			name := word(1 + r.IntN(400))
			g := &planner.GroupPlan{Name: name, Action: actions[r.IntN(len(actions))], Desired: r.IntN(500), Current: r.IntN(500)}
			for k := range r.IntN(4) {
				g.Calls = append(g.Calls, call(name, k, 1+r.IntN(100), k == 0 && g.Action == planner.ActionResume))
			}
			if r.IntN(3) == 0 {
				g.ConfigDiff = "--- a\n+++ b\n@@ -1 +1 @@\n-" + word(r.IntN(300)) + "\n+" + word(r.IntN(300)) + "\n"
			}
			var d *hcl.Diagnostic
			if r.IntN(2) == 0 {
				d = &hcl.Diagnostic{Severity: hcl.DiagnosticSeverity(1 + r.IntN(2)), Summary: word(r.IntN(1000)), Detail: word(r.IntN(3000)),
					Subject: &hcl.Range{Filename: word(r.IntN(500)), Start: hcl.Pos{Line: j + 1, Column: 1}}}
			}
			return g, d
		})
		p.Fleet, p.Region = word(r.IntN(2000)), word(r.IntN(2000))
		out := string(render(t, func(b *bytes.Buffer) error { return Markdown(b, p) }))
		if len(out) > MarkdownLimit {
			t.Fatalf("plan %d (%d groups, %d diagnostics): markdown is %d bytes, over %d", i, n, len(p.Diagnostics), len(out), MarkdownLimit)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("plan %d: markdown is not valid UTF-8", i)
		}
	}
}
