package planview

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"fleet/planner"
)

// pricedAdoptPlan is a plan with prices and a group whose pending call carries its marker.
func pricedAdoptPlan() *planner.Plan {
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou", StateLineage: "l", StateSerial: 2}
	pending := call("web", 0, 2, true)
	m := planner.Marker(p.Fleet, p.Region, p.ProjectID, "web", 0, pending.Params)
	pending.Params["instanceName"] = planner.MarkName("web", m)
	old := call("db", 0, 1, true, "instanceName", "db") // recorded before markers existed
	fresh := call("api", 0, 3, false)
	fen := func(n int64) *int64 { return &n }
	p.Groups = []*planner.GroupPlan{
		{Name: "api", Action: planner.ActionPurchase, Desired: 3, Purchase: 3, Calls: []*planner.Call{fresh}, PriceFen: fen(123456789)},
		{Name: "db", Action: planner.ActionResume, Desired: 1, Pending: 1, Calls: []*planner.Call{old}, PriceFen: fen(100)},
		{Name: "idle", Action: planner.ActionNone, Desired: 1, Current: 1, PriceFen: fen(0)},
		{Name: "web", Action: planner.ActionResume, Desired: 2, Pending: 2, Calls: []*planner.Call{pending}, PriceFen: fen(2500)},
	}
	p.Summary = planner.Summary{Purchase: 6, Calls: 3, InstanceMonths: 72, PriceFen: fen(123459389)}
	return p
}

func TestHumanPriceAndAdoption(t *testing.T) {
	p := pricedAdoptPlan()
	out := string(render(t, func(b *bytes.Buffer) error { return Human(b, p, nil, false) }))
	m, _ := strings.CutPrefix(p.Groups[3].Calls[0].Params["instanceName"], "web ")
	for _, want := range []string{
		"+ api: buy 3 instances (desired 3, current 0), 1,234,567.89 CNY\n",
		"~ db: resume 1 pending instance (desired 1, current 0, pending 1), 1.00 CNY\n",
		"  idle: no changes (desired 1, current 1)\n",
		"~ web: adopt or resume 2 pending instances (desired 2, current 0, pending 2), 25.00 CNY\n",
		"adopted if instances named " + m + " exist, else resumed as recorded\n",
		"Price: 1,234,593.89 CNY.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("human plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "db: adopt") {
		t.Errorf("a call without a marker is shown as adoptable:\n%s", out)
	}
}

func TestMarkdownPriceAndAdoption(t *testing.T) {
	out := string(render(t, func(b *bytes.Buffer) error { return Markdown(b, pricedAdoptPlan()) }))
	for _, want := range []string{
		"| | group | action | type | cpu | mem | zone | image | period | disks | network | desired | current | purchase | calls | renew | lapse | earliest expiry | price (CNY) |\n",
		"| `+` | `api` | purchase | `CVM.S2` | 2 | 4 | zone 100003 | `img-lkxqa4kj` | 12 | root 0 GB | classic, no public IP | 3 | 0 | 3 | 1 | 0 | 0 |  | 1,234,567.89 |\n",
		"| `~` | `web` | adopt or resume | `CVM.S2` | 2 | 4 | zone 100003 | `img-lkxqa4kj` | 12 | root 0 GB | classic, no public IP | 2 | 0 | 0 | 1 | 0 | 0 |  | 25.00 |\n",
		"| `~` | `db` | resume | `CVM.S2` | 2 | 4 | zone 100003 | `img-lkxqa4kj` | 12 | root 0 GB | classic, no public IP | 1 | 0 | 0 | 1 | 0 | 0 |  | 1.00 |\n",
		"Price: 1,234,593.89 CNY.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	// Without a price the table keeps its columns.
	plain := string(render(t, func(b *bytes.Buffer) error { return Markdown(b, mixedPlanNoPrice()) }))
	if strings.Contains(plain, "price (CNY)") {
		t.Errorf("markdown without a price has a price column:\n%s", plain)
	}
}

func mixedPlanNoPrice() *planner.Plan {
	p, _ := mixedPlan()
	return p
}

func TestJSONPriceAndAdoption(t *testing.T) {
	var doc Document
	out := render(t, func(b *bytes.Buffer) error { return JSON(b, pricedAdoptPlan()) })
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	byName := map[string]Group{}
	for _, g := range doc.Groups {
		byName[g.Name] = g
	}
	web, db := byName["web"], byName["db"]
	if web.Action != "resume" || !web.AdoptOrResume || web.Calls[0].Marker == "" || !web.Calls[0].Resume {
		t.Errorf("web: %+v, want action resume, adopt_or_resume and the call's marker", web)
	}
	if db.AdoptOrResume || db.Calls[0].Marker != "" {
		t.Errorf("db: %+v, want no adoption without a marker", db)
	}
	if web.PriceFen == nil || *web.PriceFen != 2500 || doc.Summary.PriceFen == nil || *doc.Summary.PriceFen != 123459389 {
		t.Errorf("prices: web %v, summary %v", web.PriceFen, doc.Summary.PriceFen)
	}
}
