package planview

import (
	"fmt"
	"strings"
	"time"

	"fleet/planner"
)

// The views of keeping a fleet: renewals, renew flags, lapses and the expiry calendar.

// maxIDs is the most instance ids a line of the human rendering names; JSON lists them all.
const maxIDs = 5

// when formats a deadline as the plan shows it: UTC, to the minute.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// ids names up to maxIDs ids, then how many more.
func ids(list []string) string {
	if len(list) <= maxIDs {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:maxIDs], ", ") + fmt.Sprintf(" and %s more", thousands(int64(len(list)-maxIDs)))
}

// keepParts says in a few words each what the plan does to keep group g's instances besides
// its main action: "renew 3 instances", "set the renew flag of 2", "2 lapse at expiry".
func keepParts(g *planner.GroupPlan) []string {
	var parts []string
	if g.Action != planner.ActionRenew && len(g.Renewals) > 0 {
		parts = append(parts, "renew "+count(len(g.Renewals), "instance"))
	}
	if n := len(otherFlags(g)); g.Action != planner.ActionFlag && n > 0 {
		parts = append(parts, "set the renew flag of "+count(n, "instance"))
	}
	if g.Action != planner.ActionLapse && g.Action != planner.ActionRemove && len(g.Lapse) > 0 {
		parts = append(parts, "let "+count(len(g.Lapse), "surplus instance")+" lapse")
	}
	return parts
}

// flagCount is the number of instances whose renew flag the plan sets in g.
func flagCount(g *planner.GroupPlan) int {
	n := 0
	for _, f := range g.Flags {
		n += len(f.InstanceIDs)
	}
	return n
}

// otherFlags returns the flag changes of g for instances that do not lapse (a lapsing
// instance's flag is shown with the lapse), one entry per instance.
func otherFlags(g *planner.GroupPlan) []flagOf {
	lapse := make(map[string]bool, len(g.Lapse))
	for _, id := range g.Lapse {
		lapse[id] = true
	}
	var out []flagOf
	for _, f := range g.Flags {
		for _, id := range f.InstanceIDs {
			if !lapse[id] {
				out = append(out, flagOf{id, f.Flag})
			}
		}
	}
	return out
}

// flagOf is one instance's new renew flag.
type flagOf struct {
	id   string
	flag int
}

// lapseFlagged reports how many of g's lapsing instances get their flag set by this plan.
func lapseFlagged(g *planner.GroupPlan) int {
	return flagCount(g) - len(otherFlags(g))
}

// renewMonths is the instance-months g's renewals add.
func renewMonths(g *planner.GroupPlan) int {
	n := 0
	for _, r := range g.Renewals {
		n += r.Period
	}
	return n
}

// renewPrice returns the price of g's renewals, or nil unless every one has a price.
func renewPrice(g *planner.GroupPlan) *int64 {
	if len(g.Renewals) == 0 {
		return nil
	}
	var sum int64
	for _, r := range g.Renewals {
		if r.PriceFen == nil {
			return nil
		}
		sum += *r.PriceFen
	}
	return &sum
}

// keepLines returns the human lines of group g's renewals, flags, lapses and calendar, each
// without its indent.
func keepLines(g *planner.GroupPlan) []string {
	var lines []string
	if len(g.Renewals) > 0 {
		var expired []string
		for _, r := range g.Renewals {
			if r.Expired {
				expired = append(expired, r.InstanceID)
			}
		}
		l := fmt.Sprintf("renews %s by %s", renewalList(g.Renewals), months(g.Renewals[0].Period))
		if !samePeriod(g.Renewals) {
			l = fmt.Sprintf("renews %s, %s in all", renewalList(g.Renewals), count(renewMonths(g), "instance-month"))
		}
		if p := renewPrice(g); p != nil {
			l += ", " + yuan(*p) + " CNY"
		}
		lines = append(lines, l)
		if len(expired) > 0 {
			lines = append(lines, fmt.Sprintf("first the expired %s (isolated, renewable for 7 days after the deadline)", ids(expired)))
		}
		var resumed []string
		for _, r := range g.Renewals {
			if r.Resume {
				resumed = append(resumed, r.InstanceID)
			}
		}
		if len(resumed) > 0 {
			lines = append(lines, fmt.Sprintf("%s renewed by an earlier apply with an unknown outcome: the deadline is read first, and nothing is sent if it moved", ids(resumed)))
		}
	}
	if len(g.Unresolved) > 0 {
		lines = append(lines, fmt.Sprintf("reads the deadline of %s, renewed by an earlier apply with an unknown outcome, to record what became of it", ids(g.Unresolved)))
	}
	byFlag := map[int][]string{}
	for _, f := range otherFlags(g) {
		byFlag[f.flag] = append(byFlag[f.flag], f.id)
	}
	for _, f := range g.Flags {
		if list := byFlag[f.Flag]; len(list) > 0 {
			lines = append(lines, fmt.Sprintf("sets the renew flag to %s on %s", planner.FlagName(f.Flag), ids(list)))
		}
	}
	if len(g.Lapse) > 0 && g.Action == planner.ActionRemove {
		if n := lapseFlagged(g); n > 0 {
			lines = append(lines, fmt.Sprintf("sets %s never to renew, then forgets the record (once every one is set)", ids(g.Lapse)))
		} else {
			lines = append(lines, fmt.Sprintf("forgets %s, already set never to renew", ids(g.Lapse)))
		}
	} else if len(g.Lapse) > 0 {
		how := "already set not to renew"
		switch n := lapseFlagged(g); {
		case n == len(g.Lapse):
			how = "set not to renew"
		case n > 0:
			how = fmt.Sprintf("%s of them set not to renew now", thousands(int64(n)))
		}
		lines = append(lines, fmt.Sprintf("lapses %s (%s): %s the group at expiry (count %s, current %s)",
			ids(g.Lapse), how, verb(len(g.Lapse), "it leaves", "they leave"), thousands(int64(g.Desired)), thousands(int64(g.Current))))
	}
	if len(g.TakenBack) > 0 {
		lines = append(lines, fmt.Sprintf("takes back %s, lapsing until now: kept, so nothing is bought for %s", ids(g.TakenBack), verb(len(g.TakenBack), "it", "them")))
	}
	if g.NewFlag != nil && len(g.Calls) > 0 {
		lines = append(lines, "sets the renew flag to "+planner.FlagName(*g.NewFlag)+" on the instances it buys")
	}
	if c := calendarText(g.Calendar); c != "" {
		lines = append(lines, "expiry: "+c)
	}
	return lines
}

// renewalList names the renewed instances with their deadlines: "ins-a (2027-01-04 09:00
// UTC)", up to maxIDs.
func renewalList(rs []*planner.Renewal) string {
	var parts []string
	for i, r := range rs {
		if i == maxIDs {
			parts = append(parts, fmt.Sprintf("and %s more", thousands(int64(len(rs)-maxIDs))))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", r.InstanceID, when(r.Deadline)))
	}
	return strings.Join(parts, ", ")
}

// samePeriod reports whether every renewal is for the same number of months.
func samePeriod(rs []*planner.Renewal) bool {
	for _, r := range rs {
		if r.Period != rs[0].Period {
			return false
		}
	}
	return true
}

// months formats "1 month", "12 months".
func months(n int) string { return count(n, "month") }

// verb returns one when n is 1, else many.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// calendarText describes a calendar in one line, or "" when it knows no deadline:
// "earliest 2027-01-04 09:00 UTC; 2 within 7 days, 5 within 30, 10 within 90".
func calendarText(c planner.Calendar) string {
	if c.Earliest == nil {
		if c.Unknown > 0 {
			return fmt.Sprintf("%s no known deadline (fleet refresh reads them)", verb(c.Unknown, "1 instance has", thousands(int64(c.Unknown))+" instances have"))
		}
		return ""
	}
	s := "earliest " + when(*c.Earliest)
	var parts []string
	if c.Expired > 0 {
		parts = append(parts, thousands(int64(c.Expired))+" expired")
	}
	parts = append(parts, fmt.Sprintf("%s within 7 days, %s within 30, %s within 90",
		thousands(int64(c.Within7)), thousands(int64(c.Within30)), thousands(int64(c.Within90))))
	if c.Unknown > 0 {
		parts = append(parts, thousands(int64(c.Unknown))+" unknown")
	}
	return s + "; " + strings.Join(parts, ", ")
}

// keepSummary is what the closing line adds for keeping: " Renew: 3 instances, 3
// instance-months. Renew flags: 2 instances. Lapse: 2 instances."
func keepSummary(s planner.Summary) string {
	var b strings.Builder
	if s.Renew > 0 {
		fmt.Fprintf(&b, " Renew: %s, %s.", count(s.Renew, "instance"), count(s.RenewMonths, "instance-month"))
	}
	if s.Flags > 0 {
		fmt.Fprintf(&b, " Renew flags: %s.", count(s.Flags, "instance"))
	}
	if s.Lapse > 0 {
		fmt.Fprintf(&b, " Lapse: %s.", count(s.Lapse, "instance"))
	}
	return b.String()
}

// CalendarJSON is the expiry calendar of a group or of the plan in the JSON document.
type CalendarJSON struct {
	Earliest     *time.Time `json:"earliest_deadline"`
	Expired      int        `json:"expired"`
	Within7Days  int        `json:"within_7_days"`
	Within30Days int        `json:"within_30_days"`
	Within90Days int        `json:"within_90_days"`
	Unknown      int        `json:"unknown"`
}

func calendarJSON(c planner.Calendar) CalendarJSON {
	out := CalendarJSON{Expired: c.Expired, Within7Days: c.Within7, Within30Days: c.Within30, Within90Days: c.Within90, Unknown: c.Unknown}
	if c.Earliest != nil {
		t := c.Earliest.UTC()
		out.Earliest = &t
	}
	return out
}

// RenewalJSON is one renewal of the JSON document.
type RenewalJSON struct {
	InstanceID  string    `json:"instance_id"`
	Deadline    time.Time `json:"deadline"`
	NewDeadline time.Time `json:"new_deadline"`
	Period      int       `json:"period"`
	Expired     bool      `json:"expired"`
	// Resume is set for a renewal an earlier apply left with an unknown outcome: apply reads
	// the deadline first and sends nothing if it moved.
	Resume   bool   `json:"resume"`
	PriceFen *int64 `json:"price_fen"`
}

// FlagJSON is one renew flag the plan sets.
type FlagJSON struct {
	Flag        int      `json:"flag"` // 0 notify, 1 auto-renew, 2 never renew
	Name        string   `json:"name"`
	InstanceIDs []string `json:"instance_ids"`
}

func renewalsJSON(g *planner.GroupPlan) []RenewalJSON {
	out := make([]RenewalJSON, 0, len(g.Renewals))
	for _, r := range g.Renewals {
		out = append(out, RenewalJSON{InstanceID: r.InstanceID, Deadline: r.Deadline.UTC(), NewDeadline: r.NewDeadline(),
			Period: r.Period, Expired: r.Expired, Resume: r.Resume, PriceFen: r.PriceFen})
	}
	return out
}

func flagsJSON(g *planner.GroupPlan) []FlagJSON {
	out := make([]FlagJSON, 0, len(g.Flags))
	for _, f := range g.Flags {
		out = append(out, FlagJSON{Flag: f.Flag, Name: planner.FlagName(f.Flag), InstanceIDs: f.InstanceIDs})
	}
	return out
}
