package planview

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"fleet/planner"
	"fleet/spec"
)

func TestQuietLine(t *testing.T) {
	warn := func(code string) *hcl.Diagnostic {
		return spec.WithCode(code, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: code})
	}
	p := &planner.Plan{Groups: []*planner.GroupPlan{
		{Name: "a", Action: planner.ActionLapse, Desired: 1, Current: 6, Lapse: []string{"ins-1", "ins-2", "ins-3", "ins-4", "ins-5"}},
		{Name: "b", Action: planner.ActionLapse, Desired: 2, Current: 5, Lapse: []string{"ins-6", "ins-7", "ins-8"}},
		{Name: "c", Action: planner.ActionOrphan, Current: 2},
		{Name: "d", Action: planner.ActionNone, Desired: 1, Current: 1},
	}, Diagnostics: hcl.Diagnostics{warn("orphan")}}
	if got, want := quietLine(p), "No purchases; 8 lapsing instances in 2 groups, 1 orphan group."; got != want {
		t.Errorf("quietLine = %q, want %q", got, want)
	}
	p.Groups[3].ConfigDiff = "--- d\n"
	p.Diagnostics = append(p.Diagnostics, warn("config-drift"), warn("targeted"))
	if got, want := quietLine(p), "No purchases; 8 lapsing instances in 2 groups, 1 orphan group, 1 group with a changed configuration, 1 other warning."; got != want {
		t.Errorf("quietLine = %q, want %q", got, want)
	}
	if got := quietLine(noChangesPlan()); got != noChangesLine {
		t.Errorf("quietLine without warnings = %q, want %q", got, noChangesLine)
	}
	out := string(render(t, func(b *bytes.Buffer) error { return Human(b, p, nil, false) }))
	if !strings.HasSuffix(out, "\nNo purchases; 8 lapsing instances in 2 groups, 1 orphan group, 1 group with a changed configuration, 1 other warning.\n") {
		t.Errorf("human plan does not end with the warnings:\n%s", out)
	}
}

func TestPriceNote(t *testing.T) {
	p, _ := mixedPlan()
	p.PriceNote = "the plan has errors"
	out := string(render(t, func(b *bytes.Buffer) error { return Human(b, p, nil, false) }))
	if !strings.Contains(out, "Lapse: 3 instances. No price: the plan has errors.\n") {
		t.Errorf("human plan does not say why there is no price:\n%s", out)
	}
	js := string(render(t, func(b *bytes.Buffer) error { return JSON(b, p) }))
	if !strings.Contains(js, `"price_note": "the plan has errors"`) {
		t.Errorf("JSON has no price_note:\n%s", js)
	}
}

func TestCompactCalls(t *testing.T) {
	g := &planner.GroupPlan{Name: "db", Action: planner.ActionPurchase, Desired: 100, Purchase: 100}
	for i := range 100 {
		g.Calls = append(g.Calls, call("db", i, 1, false, "privateIpAddresses.0", fmt.Sprintf("10.0.0.%d", i+1)))
	}
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{g},
		Summary: planner.Summary{Purchase: 100, Calls: 100, InstanceMonths: 1200}}
	out := string(render(t, func(b *bytes.Buffer) error { return Human(b, p, nil, false) }))
	if want := "    calls 0 … 99: 100 calls of 1 instance, one per private IP: 10.0.0.1 … 10.0.0.100\n"; !strings.Contains(out, want) {
		t.Errorf("human plan lacks %q:\n%s", want, out)
	}
	if n := strings.Count(out, "\n"); n > 10 {
		t.Errorf("human plan of 100 calls has %d lines:\n%s", n, out)
	}
	md := string(render(t, func(b *bytes.Buffer) error { return Markdown(b, p) }))
	if want := "| 0 … 99 | 100 in 100 calls | `prod-db-0-abc123` … `prod-db-99-abc186` | `10.0.0.1` … `10.0.0.100` |\n"; !strings.Contains(md, want) {
		t.Errorf("markdown lacks %q:\n%s", want, md)
	}
}

// Calls left pending by an earlier apply are shown compactly too: a group of hundreds of
// private IPs whose apply was interrupted stays readable.
func TestCompactResumedCalls(t *testing.T) {
	g := &planner.GroupPlan{Name: "db", Action: planner.ActionResume, Desired: 100, Pending: 100}
	for i := range 100 {
		g.Calls = append(g.Calls, call("db", i, 1, true, "privateIpAddresses.0", fmt.Sprintf("10.0.0.%d", i+1)))
	}
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou", Groups: []*planner.GroupPlan{g},
		Summary: planner.Summary{Calls: 100}}
	out := string(render(t, func(b *bytes.Buffer) error { return Human(b, p, nil, false) }))
	if want := "calls 0 … 99: 100 pending calls of 1 instance, one per private IP: 10.0.0.1 … 10.0.0.100"; !strings.Contains(out, want) {
		t.Errorf("human plan lacks %q:\n%s", want, out)
	}
	if n := strings.Count(out, "\n"); n > 10 {
		t.Errorf("human plan of 100 resumed calls has %d lines:\n%s", n, out)
	}
}

// TestUnresolvedOnlyGroup shows a group whose only work is to read the deadline of a renewal
// of unknown outcome as a change, in every rendering: the plan has changes.
func TestUnresolvedOnlyGroup(t *testing.T) {
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou", StateLineage: "l", StateSerial: 2, Groups: []*planner.GroupPlan{
		{Name: "web", Action: planner.ActionNone, Desired: 1, Current: 1, Unresolved: []string{"ins-web00001"}},
	}}
	if !p.HasChanges() {
		t.Fatal("a plan that resolves a renewal has no changes")
	}
	human := string(render(t, func(b *bytes.Buffer) error { return Human(b, p, nil, false) }))
	if !strings.Contains(human, "web: read the deadline of 1 renewal of unknown outcome (desired 1, current 1)\n") {
		t.Errorf("human plan:\n%s", human)
	}
	md := string(render(t, func(b *bytes.Buffer) error { return Markdown(b, p) }))
	if strings.Contains(md, "without changes") || !strings.Contains(md, "`web`") || !strings.Contains(md, "ins-web00001") {
		t.Errorf("markdown plan:\n%s", md)
	}
}
