package planview

import (
	"encoding/json"
	"io"

	"fleet/internal/diagview"
	"fleet/planner"
)

// FormatVersion is the version of the plan JSON document.
const FormatVersion = "1.0"

// Document is the `fleet plan --json` document.
type Document struct {
	FormatVersion string                `json:"format_version"`
	Fleet         string                `json:"fleet"`
	Region        string                `json:"region"`
	State         StateRef              `json:"state"`
	Valid         bool                  `json:"valid"`
	Applyable     bool                  `json:"applyable"`
	Diagnostics   []diagview.Diagnostic `json:"diagnostics"`
	Groups        []Group               `json:"groups"`
	Summary       Summary               `json:"summary"`
}

// StateRef names the state the plan was made against.
type StateRef struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
}

// Group is one group of the plan.
type Group struct {
	Name   string `json:"name"`
	Action string `json:"action"`
	// Actions are all the group's actions: a moved group that also buys has move and
	// purchase.
	Actions []string `json:"actions"`
	// MovedFrom is the name of the group's record in the state when a moved block moves it
	// here; "" otherwise.
	MovedFrom  string `json:"moved_from"`
	Desired    int    `json:"desired"`
	Current    int    `json:"current"`
	Purchase   int    `json:"purchase"`
	ConfigDiff string `json:"config_diff"`
	// Config is what the group buys: its desired configuration, or for a group the spec does
	// not declare the one of its calls; absent when the plan does not say (an invalid group,
	// an orphan without calls).
	Config *Config `json:"config,omitempty"`
	// InstanceIDs are the group's live instances as the state records them.
	InstanceIDs []string `json:"instance_ids"`
	Calls       []Call   `json:"calls"`
	// AdoptOrResume is set for a resumed group whose pending calls carry an instance-name
	// marker: apply adopts the instances the marker finds, or resumes the calls.
	AdoptOrResume bool `json:"adopt_or_resume"`
	// PriceFen is the price of the group's calls in fen for the whole prepaid period; null
	// unless a price was asked for.
	PriceFen *int64 `json:"price_fen"`
	// InstancesByAction lists, per action, the instances it touches (see
	// planner.GroupPlan.InstancesOf); an action that touches none yet (purchase, resume) has
	// an empty list.
	InstancesByAction map[string][]string `json:"instances_by_action"`
	// The keeping of the group's instances: its renew mode ("" for a group the spec does not
	// declare), renewals, renew flags set, the flag set on instances it buys (null: the
	// cloud's default, 0), the instances lapsing and taken back, and its expiry calendar.
	RenewMode     string        `json:"renew_mode"`
	Renewals      []RenewalJSON `json:"renewals"`
	RenewPriceFen *int64        `json:"renew_price_fen"`
	RenewFlags    []FlagJSON    `json:"renew_flags"`
	NewFlag       *int          `json:"new_instances_flag"`
	Lapse         []string      `json:"lapse"`
	TakenBack     []string      `json:"taken_back"`
	Calendar      CalendarJSON  `json:"calendar"`
	// Unresolved are instances renewed by an earlier apply with an unknown outcome that the
	// plan does not renew: apply reads their deadline to record what became of them.
	Unresolved []string `json:"unresolved"`
}

// Call is one RunInstances call; Params are the action parameters as sent, secrets hashed.
type Call struct {
	Seq         int               `json:"seq"`
	ClientToken string            `json:"client_token"`
	GoodsNum    int               `json:"goods_num"`
	Params      map[string]string `json:"params"`
	Resume      bool              `json:"resume,omitempty"`
	Marker      string            `json:"marker,omitempty"` // the instance-name marker apply looks up first
}

// Summary totals the plan; PriceFen is null unless a price was asked for.
type Summary struct {
	Purchase       int    `json:"purchase"`
	Calls          int    `json:"calls"`
	InstanceMonths int    `json:"instance_months"`
	Moved          int    `json:"moved"`
	Removed        int    `json:"removed"`
	PriceFen       *int64 `json:"price_fen"`
	// PriceNote says why price_fen is null although a price was asked for.
	PriceNote string `json:"price_note,omitempty"`
	// Renewals, flags and lapses: instances renewed and the instance-months they add,
	// instances whose renew flag is set, instances lapsing; the price of purchases and of
	// renewals apart (price_fen is their sum); the calendar of the whole plan.
	Renew            int          `json:"renew"`
	RenewMonths      int          `json:"renew_months"`
	RenewFlags       int          `json:"renew_flag_instances"`
	Lapse            int          `json:"lapse"`
	PurchasePriceFen *int64       `json:"purchase_price_fen"`
	RenewPriceFen    *int64       `json:"renew_price_fen"`
	Calendar         CalendarJSON `json:"calendar"`
}

// NewDocument returns the JSON document of p.
func NewDocument(p *planner.Plan) Document {
	doc := Document{
		FormatVersion: FormatVersion,
		Fleet:         p.Fleet,
		Region:        p.Region,
		State:         StateRef{Lineage: p.StateLineage, Serial: p.StateSerial},
		Valid:         p.Valid(),
		Applyable:     p.Applyable(),
		Diagnostics:   diagview.Diagnostics(p.Diagnostics),
		Groups:        make([]Group, 0, len(p.Groups)),
		Summary: Summary{
			Purchase:       p.Summary.Purchase,
			Calls:          p.Summary.Calls,
			InstanceMonths: p.Summary.InstanceMonths,
			Moved:          p.Summary.Moved,
			Removed:        p.Summary.Removed,
			PriceFen:       p.Summary.PriceFen,
			PriceNote:      p.PriceNote,

			Renew:            p.Summary.Renew,
			RenewMonths:      p.Summary.RenewMonths,
			RenewFlags:       p.Summary.Flags,
			Lapse:            p.Summary.Lapse,
			PurchasePriceFen: p.Summary.PurchasePriceFen,
			RenewPriceFen:    p.Summary.RenewPriceFen,
			Calendar:         calendarJSON(p.Summary.Calendar),
		},
	}

	for _, g := range p.Groups {
		jg := Group{
			Name:       g.Name,
			Action:     string(g.Action),
			MovedFrom:  g.MovedFrom,
			Desired:    g.Desired,
			Current:    g.Current,
			Purchase:   g.Purchase,
			ConfigDiff: g.ConfigDiff,
			Calls:      make([]Call, 0, len(g.Calls)),
			PriceFen:   g.PriceFen,

			InstancesByAction: map[string][]string{},
			RenewMode:         g.RenewMode,
			Renewals:          renewalsJSON(g),
			RenewPriceFen:     renewPrice(g),
			RenewFlags:        flagsJSON(g),
			NewFlag:           g.NewFlag,
			Lapse:             append([]string{}, g.Lapse...),
			TakenBack:         append([]string{}, g.TakenBack...),
			Unresolved:        append([]string{}, g.Unresolved...),
			Calendar:          calendarJSON(g.Calendar),
		}
		if c, ok := groupConfig(g); ok {
			jg.Config = &c
		}
		jg.InstanceIDs = append([]string{}, g.InstanceIDs...)
		for _, a := range g.Actions() {
			jg.Actions = append(jg.Actions, string(a))
			jg.InstancesByAction[string(a)] = append([]string{}, g.InstancesOf(a)...)
		}
		if g.Action == planner.ActionResume {
			jg.AdoptOrResume = p.AdoptOrResume(g)
		}
		for _, c := range g.Calls {
			params := c.Params
			if params == nil {
				params = map[string]string{}
			}
			jc := Call{Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum, Params: params, Resume: c.Resume}
			if c.Resume {
				jc.Marker = p.GroupCallMarker(g, c)
			}
			jg.Calls = append(jg.Calls, jc)
		}
		doc.Groups = append(doc.Groups, jg)
	}
	return doc
}

// JSON writes the plan document to w, indented, keys of params sorted, with a trailing
// newline.
func JSON(w io.Writer, p *planner.Plan) error {
	if p == nil {
		return errNoPlan
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewDocument(p))
}
