package planview

import (
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"fleet/internal/diagview"
	"fleet/planner"

	"github.com/hashicorp/hcl/v2"
)

// MarkdownLimit is the most bytes Markdown writes: GitHub refuses comments longer than 65,535
// characters, and a few hundred are left for whatever a bot puts around the plan.
const MarkdownLimit = 65000

// Caps on single items, so that one huge name or detail cannot crowd out the rest.
const (
	maxNameBytes    = 200
	maxSummaryBytes = 300
	maxDetailBytes  = 600
)

// Markdown writes the plan for a pull-request comment: the summary line, a table of the
// groups with changes or warnings (what they buy in columns) and the count of the others,
// the diagnostics, then each group's calls and configuration diff folded in <details>. When
// that is longer than MarkdownLimit it drops the details, then keeps only as many rows and
// diagnostics as fit, and says what it left out.
func Markdown(w io.Writer, p *planner.Plan) error {
	if p == nil {
		return errNoPlan
	}
	_, err := io.WriteString(w, markdown(p, MarkdownLimit))
	return err
}

// mdStage is how much of the plan a Markdown rendering shows.
type mdStage struct {
	details bool // the per-group <details> sections
	budget  int  // > 0: keep rows and diagnostics within this many bytes in all
}

// markdown renders p within limit bytes, trying the fullest stage first.
func markdown(p *planner.Plan, limit int) string {
	for _, st := range []mdStage{{details: true}, {}} {
		if s, ok := renderMarkdown(p, st, limit); ok {
			return s
		}
	}
	s, _ := renderMarkdown(p, mdStage{budget: limit}, limit)
	return s
}

// renderMarkdown renders p as st says. Without a budget it gives up, returning false, as soon
// as the text grows over limit.
func renderMarkdown(p *planner.Plan, st mdStage, limit int) (string, bool) {
	over := func(b *strings.Builder) bool { return st.budget == 0 && b.Len() > limit }
	var b strings.Builder
	fmt.Fprintf(&b, "### fleet plan: %s in %s\n\n", mdCode(clip(p.Fleet, maxNameBytes)), mdCode(clip(p.Region, maxNameBytes)))
	switch {
	case !p.Applyable():
		fmt.Fprintf(&b, "**%s**\n\n:x: %s\n\n", mdText(planLine(p)), notApplyableLine)
	case !p.HasChanges():
		fmt.Fprintf(&b, "**%s**\n\n", mdText(quietLine(p)))
	default:
		fmt.Fprintf(&b, "**%s**\n\n", mdText(planLine(p)))
	}
	if c := calendarText(p.Summary.Calendar); c != "" {
		fmt.Fprintf(&b, "Expiry: %s.\n\n", mdText(c))
	}
	var notes []string
	if !st.details && hasDetails(p) {
		notes = append(notes, "per-group details")
	}

	// The table and the diagnostics share the budget left after the heading and a reserve
	// for the closing notes; the diagnostics may take up to a third of it, and the table
	// whatever they leave.
	const reserve = 1000
	tableBudget, diagBudget := -1, -1
	if st.budget > 0 {
		diagNeed := 0
		for _, d := range p.Diagnostics {
			diagNeed += len(diagItem(d))
			if diagNeed > st.budget {
				break
			}
		}
		left := st.budget - b.Len() - reserve
		tableBudget = left - min(diagNeed+100, left/3)
		diagBudget = left // what the table leaves is taken off below
	}

	priced := p.Summary.PriceFen != nil
	var unchanged, cut int // groups without changes, rows cut for the budget
	for _, g := range p.Groups {
		if unchangedGroup(g) {
			unchanged++
		}
	}
	tableStart := b.Len()
	if unchanged < len(p.Groups) {
		b.WriteString("| | group | action | type | cpu | mem | zone | image | period | disks | network | desired | current | purchase | calls | renew | lapse | earliest expiry |")
		if priced {
			b.WriteString(" price (CNY) |")
		}
		b.WriteString("\n| :-: | --- | --- | --- | ---: | ---: | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
		if priced {
			b.WriteString(" ---: |")
		}
		b.WriteString("\n")
	}
	cutBy := map[planner.Action]int{}
	for _, g := range tableOrder(p, st) {
		if unchangedGroup(g) {
			continue
		}
		row := tableRow(p, g)
		if tableBudget >= 0 && b.Len()-tableStart+len(row) > tableBudget {
			cut++
			cutBy[g.Action]++
			continue
		}
		b.WriteString(row)
		if over(&b) {
			return "", false
		}
	}
	if cut > 0 {
		var parts []string
		for _, a := range actionOrder {
			if n := cutBy[a]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", thousands(int64(n)), a))
			}
		}
		fmt.Fprintf(&b, "| | *%s: %s* |%s\n", more(cut, "group"), strings.Join(parts, ", "), strings.Repeat(" |", mdColumns(priced)-2))
		notes = append(notes, "the rows of "+count(cut, "group"))
	}
	if unchanged > 0 {
		if unchanged < len(p.Groups) {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s without changes.\n", count(unchanged, "group"))
	}
	if diagBudget >= 0 {
		diagBudget -= b.Len() - tableStart
	}

	if len(p.Diagnostics) > 0 {
		errs, warns := diagview.Counts(p.Diagnostics)
		fmt.Fprintf(&b, "\n#### Diagnostics: %s, %s\n\n", count(errs, "error"), count(warns, "warning"))
		start, dropped := b.Len(), 0
		for i, d := range p.Diagnostics {
			item := diagItem(d)
			if diagBudget >= 0 && b.Len()-start+len(item) > diagBudget {
				// Diagnostics keep their order: the first that does not fit ends the list.
				dropped = len(p.Diagnostics) - i
				break
			}
			b.WriteString(item)
			if over(&b) {
				return "", false
			}
		}
		if dropped > 0 {
			fmt.Fprintf(&b, "- *%s*\n", more(dropped, "diagnostic"))
			notes = append(notes, count(dropped, "diagnostic"))
		}
	}

	if st.details {
		first := true
		for _, g := range p.Groups {
			if !detailed(g) {
				continue
			}
			if first {
				b.WriteString("\n#### Details\n")
				first = false
			}
			writeDetails(&b, p, g)
			if over(&b) {
				return "", false
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\n> [!NOTE]\n> Left out to stay within GitHub's comment size: %s. Run `fleet plan` for the full plan.\n",
			strings.Join(notes, "; "))
	}
	return b.String(), !over(&b)
}

// actionOrder is the order in which a shortened table keeps rows: what needs attention first.
var actionOrder = []planner.Action{
	planner.ActionInvalid, planner.ActionResume, planner.ActionPurchase,
	planner.ActionRenew, planner.ActionLapse, planner.ActionFlag, planner.ActionRemove, planner.ActionMove, planner.ActionOrphan, planner.ActionNone,
}

// tableOrder returns the groups in the plan's order, or, when rows may be dropped, the ones
// that need attention first.
func tableOrder(p *planner.Plan, st mdStage) []*planner.GroupPlan {
	if st.budget <= 0 {
		return p.Groups
	}
	out := make([]*planner.GroupPlan, 0, len(p.Groups))
	for _, a := range actionOrder {
		for _, g := range p.Groups {
			if g.Action == a {
				out = append(out, g)
			}
		}
	}
	for _, g := range p.Groups {
		if !knownAction(g.Action) {
			out = append(out, g)
		}
	}
	return out
}

// knownAction reports whether a is one of the actions of actionOrder.
func knownAction(a planner.Action) bool { return slices.Contains(actionOrder, a) }

// more formats "1 more group", "19,950 more groups".
func more(n int, noun string) string {
	if n == 1 {
		return "1 more " + noun
	}
	return thousands(int64(n)) + " more " + noun + "s"
}

// hasDetails reports whether any group has a <details> section.
func hasDetails(p *planner.Plan) bool {
	return slices.ContainsFunc(p.Groups, detailed)
}

// detailed reports whether group g has a <details> section: calls or a configuration diff.
func detailed(g *planner.GroupPlan) bool {
	return len(g.Calls) > 0 || g.ConfigDiff != "" || detailedKeep(g)
}

// tableRow returns the summary table row of group g.
func tableRow(p *planner.Plan, g *planner.GroupPlan) string {
	sym := symbol(g.Action)
	if sym != " " {
		sym = "`" + sym + "`"
	}
	price := ""
	if p.Summary.PriceFen != nil {
		price = " |"
		if g.PriceFen != nil {
			price = " " + yuan(*g.PriceFen) + " |"
		}
	}
	name := mdCode(clip(g.Name, maxNameBytes))
	if g.MovedFrom != "" {
		sym = "`" + symbol(planner.ActionMove) + "`"
		name = mdCode(clip(g.MovedFrom, maxNameBytes)) + " -> " + name
	}
	var labels []string
	for _, a := range g.Actions() {
		if a == g.Action {
			labels = append(labels, actionLabel(p, g))
		} else {
			labels = append(labels, string(a))
		}
	}
	label := strings.Join(labels, ", ")
	cfg := strings.Repeat(" |", 8)
	if c, ok := shownConfig(g); ok {
		cfg = fmt.Sprintf(" %s | %d | %d | %s | %s | %d | %s | %s |", mdCode(clip(c.InstanceType, maxNameBytes)), c.CPU, c.Mem,
			mdText(c.zone()), mdCode(clip(c.ImageID, maxNameBytes)), c.Period, mdText(c.disks()), mdText(clip(c.network(), maxNameBytes)))
	}
	expiry := ""
	if c := g.Calendar.Earliest; c != nil {
		expiry = mdText(when(*c))
	}
	return fmt.Sprintf("| %s | %s | %s |%s %s | %s | %s | %s | %s | %s | %s |%s\n", sym, name, label, cfg,
		thousands(int64(g.Desired)), thousands(int64(g.Current)), thousands(int64(g.Purchase)), thousands(int64(len(g.Calls))),
		thousands(int64(len(g.Renewals))), thousands(int64(len(g.Lapse))), expiry, price)
}

// mdColumns is the number of columns of the table, the symbol's included.
func mdColumns(priced bool) int {
	if priced {
		return 19
	}
	return 18
}

// unchangedGroup reports whether group g is only counted below the table: nothing to do and
// nothing to warn about.
func unchangedGroup(g *planner.GroupPlan) bool {
	return g.Action == planner.ActionNone && g.ConfigDiff == "" && !g.HasChanges()
}

// diagItem returns one diagnostic as a Markdown list item, its parts escaped and clipped.
func diagItem(d *hcl.Diagnostic) string {
	j := diagview.NewDiagnostic(d)
	var b strings.Builder
	if j.Severity == "warning" {
		b.WriteString("- :warning: **Warning**")
	} else {
		b.WriteString("- :x: **Error**")
	}
	if j.Code != "" {
		b.WriteString(" " + mdCode(j.Code))
	}
	b.WriteString(": " + mdText(clip(j.Summary, maxSummaryBytes)))
	if d.Subject != nil {
		b.WriteString(" at " + mdCode(clip(diagview.Location(*d.Subject), maxNameBytes)))
	}
	b.WriteString("\n")
	if j.Detail != "" {
		// A blank line and the list item's indent make the detail a paragraph of its own.
		b.WriteString("\n  " + mdText(clip(j.Detail, maxDetailBytes)) + "\n\n")
	}
	return b.String()
}

// writeDetails writes the folded <details> section of group g: its calls and its diff.
func writeDetails(b *strings.Builder, p *planner.Plan, g *planner.GroupPlan) {
	fmt.Fprintf(b, "\n<details><summary><code>%s</code>: %s</summary>\n\n", html.EscapeString(clip(g.Name, maxNameBytes)), html.EscapeString(what(p, g)))
	if len(g.Calls) > 0 {
		b.WriteString("| call | instances | client token | private IP |\n| ---: | ---: | --- | --- |\n")
		for _, cs := range compactCalls(g.Calls) {
			if r := cs.run; r != nil {
				ip := ""
				if r.perIP {
					ip = mdCode(r.first.Params["privateIpAddresses.0"]) + " … " + mdCode(r.last.Params["privateIpAddresses.0"])
				}
				seqs := fmt.Sprintf("%d … %d", r.first.Seq, r.last.Seq)
				if r.resumed {
					seqs += " (resumed)"
				}
				fmt.Fprintf(b, "| %s | %s in %s | %s … %s | %s |\n", seqs, thousands(int64(r.instances)),
					count(r.calls, "call"), mdCode(r.first.ClientToken), mdCode(r.last.ClientToken), ip)
				continue
			}
			c := cs.call
			ip := c.Params["privateIpAddresses.0"]
			if ip != "" {
				ip = mdCode(ip)
			}
			seq := thousands(int64(c.Seq))
			if c.Resume {
				seq += " (resumed)"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", seq, thousands(int64(c.GoodsNum)), mdCode(c.ClientToken), ip)
		}
		b.WriteString("\n")
	}
	if lines := keepLines(g); len(lines) > 0 && detailedKeep(g) {
		for _, l := range lines {
			b.WriteString("- " + mdText(l) + "\n")
		}
		b.WriteString("\n")
	}
	if g.ConfigDiff != "" {
		b.WriteString("Configuration bought and desired; existing instances keep theirs:\n\n")
		fence := strings.Repeat("`", max(3, longestRun(g.ConfigDiff, '`')+1))
		b.WriteString(fence + "diff\n" + strings.TrimRight(g.ConfigDiff, "\n") + "\n" + fence + "\n\n")
	}
	b.WriteString("</details>\n")
}

// detailedKeep reports whether group g renews, sets flags, lapses or takes back instances.
func detailedKeep(g *planner.GroupPlan) bool {
	return len(g.Renewals) > 0 || len(g.Flags) > 0 || len(g.Lapse) > 0 || len(g.TakenBack) > 0 || len(g.Unresolved) > 0
}

// mdText escapes s for Markdown text on one line, table cells included: the characters that
// make emphasis, links, code, HTML or table cells anywhere, and a first character that
// would start a heading, a list or a quote.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for i, r := range s {
		if r < utf8.RuneSelf && (strings.ContainsRune("\\`*_[]<>|~&", r) || i == 0 && strings.ContainsRune("#+-=!", r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode returns s as an inline code span that survives inside a table cell.
func mdCode(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
