package planview

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"fleet/internal/diagview"
	"fleet/planner"

	"github.com/fatih/color"
)

// errNoPlan is returned by every rendering given a nil plan.
var errNoPlan = errors.New("render plan: no plan")

// Human writes the plan for a person: a heading, one block per group (symbol, name, what
// happens, the counts, its calls and its configuration diff), every diagnostic with its
// source lines, and a closing line. sources maps spec file names to their bytes; color
// turns on ANSI colours (the caller decides: a terminal and no NO_COLOR).
func Human(w io.Writer, p *planner.Plan, sources map[string][]byte, color bool) error {
	if p == nil {
		return errNoPlan
	}
	h := &human{color: color}
	b := &strings.Builder{}
	fmt.Fprintf(b, "Fleet %q in %s", p.Fleet, p.Region)
	if p.StateLineage != "" {
		fmt.Fprintf(b, ", state serial %d", p.StateSerial)
	} else {
		b.WriteString(", no state yet")
	}
	b.WriteString(".\n\n")
	for _, g := range p.Groups {
		h.group(b, p, g)
	}
	if len(p.Groups) == 0 {
		b.WriteString("The spec has no groups.\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(p.Diagnostics) > 0 {
		pr := &diagview.Printer{Sources: sources, Color: color}
		for _, d := range p.Diagnostics {
			if err := pr.Diagnostic(w, d); err != nil {
				return err
			}
		}
	}
	b.Reset()
	switch {
	case !p.Applyable():
		b.WriteString(h.paint(planLine(p), colorBold))
		b.WriteString("\n")
		b.WriteString(h.paint(notApplyableLine, colorRed))
	case !p.HasChanges():
		b.WriteString(h.paint(quietLine(p), colorBold))
	default:
		b.WriteString(h.paint(planLine(p), colorBold))
	}
	b.WriteString("\n")
	if c := calendarText(p.Summary.Calendar); c != "" {
		b.WriteString("Expiry: " + c + ".\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// human holds what the human rendering needs besides the plan: whether to colour.
type human struct{ color bool }

// colorKind names a colour of the human rendering; palette maps it to terminal attributes.
type colorKind int

const (
	colorBold colorKind = iota
	colorGreen
	colorYellow
	colorRed
	colorCyan
)

var palette = map[colorKind][]color.Attribute{
	colorBold:   {color.Bold},
	colorGreen:  {color.FgGreen},
	colorYellow: {color.FgYellow},
	colorRed:    {color.FgRed},
	colorCyan:   {color.FgCyan},
}

// paint returns s in the colour k, or s as it is when colour is off.
func (h *human) paint(s string, k colorKind) string {
	if !h.color || s == "" {
		return s
	}
	c := color.New(palette[k]...)
	c.EnableColor()
	return c.Sprint(s)
}

// actionColor returns the colour of an action: green to buy, yellow to look at, red for trouble.
func actionColor(a planner.Action) colorKind {
	switch a {
	case planner.ActionPurchase:
		return colorGreen
	case planner.ActionResume, planner.ActionLapse:
		return colorYellow
	case planner.ActionRenew, planner.ActionFlag:
		return colorGreen
	case planner.ActionInvalid, planner.ActionOrphan, planner.ActionRemove:
		return colorRed
	case planner.ActionMove:
		return colorCyan
	}
	return colorBold
}

// group writes one group's block.
func (h *human) group(b *strings.Builder, p *planner.Plan, g *planner.GroupPlan) {
	if g.MovedFrom != "" {
		b.WriteString(h.paint(symbol(planner.ActionMove), actionColor(planner.ActionMove)))
		b.WriteString(" ")
		b.WriteString(h.paint(g.MovedFrom, colorBold) + " -> " + h.paint(g.Name, colorBold))
		b.WriteString(": " + movedWhat(g))
		if g.Action != planner.ActionMove {
			b.WriteString(", then " + strings.Join(append([]string{what(p, g)}, keepParts(g)...), ", ") + " (" + counts(g) + ")")
		}
	} else {
		b.WriteString(h.paint(symbol(g.Action), actionColor(g.Action)))
		b.WriteString(" ")
		b.WriteString(h.paint(g.Name, colorBold))
		b.WriteString(": ")
		b.WriteString(strings.Join(append([]string{what(p, g)}, keepParts(g)...), ", "))
		b.WriteString(" (")
		b.WriteString(counts(g))
		b.WriteString(")")
	}
	if g.PriceFen != nil && len(g.Calls) > 0 {
		b.WriteString(", " + yuan(*g.PriceFen) + " CNY")
	}
	b.WriteString("\n")
	if c, ok := shownConfig(g); ok {
		label := "buys "
		if len(g.Calls) == 0 {
			label = "desired "
		}
		b.WriteString("    " + label + c.line() + "\n")
	}
	for _, cs := range compactCalls(g.Calls) {
		if cs.run != nil {
			b.WriteString("    " + cs.run.text() + "\n")
			continue
		}
		c := cs.call
		fmt.Fprintf(b, "    call %d: %s, token %s", c.Seq, count(c.GoodsNum, "instance"), c.ClientToken)
		if ip := c.Params["privateIpAddresses.0"]; ip != "" {
			fmt.Fprintf(b, ", private IP %s", ip)
		}
		if c.Resume {
			if m := p.GroupCallMarker(g, c); m != "" {
				b.WriteString(", adopted if instances named " + m + " exist, else resumed as recorded")
			} else {
				b.WriteString(", resumed as recorded")
			}
		}
		b.WriteString("\n")
	}
	for _, l := range keepLines(g) {
		b.WriteString("    " + l + "\n")
	}
	if g.ConfigDiff != "" {
		b.WriteString("    configuration bought -> desired (existing instances keep theirs):\n")
		for _, l := range strings.Split(strings.TrimRight(g.ConfigDiff, "\n"), "\n") {
			b.WriteString("      ")
			switch {
			case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
				b.WriteString(h.paint(l, colorBold))
			case strings.HasPrefix(l, "@@"):
				b.WriteString(h.paint(l, colorCyan))
			case strings.HasPrefix(l, "+"):
				b.WriteString(h.paint(l, colorGreen))
			case strings.HasPrefix(l, "-"):
				b.WriteString(h.paint(l, colorRed))
			default:
				b.WriteString(l)
			}
			b.WriteString("\n")
		}
	}
}

// what says in a few words what the plan does with a group.
func what(p *planner.Plan, g *planner.GroupPlan) string {
	switch g.Action {
	case planner.ActionPurchase:
		return "buy " + count(g.Purchase, "instance")
	case planner.ActionResume:
		s := actionLabel(p, g) + " " + count(g.Pending, "pending instance")
		if g.Purchase > 0 {
			s += ", then buy " + thousands(int64(g.Purchase)) + " more"
		}
		return s
	case planner.ActionInvalid:
		return "invalid, nothing is bought"
	case planner.ActionOrphan:
		return "in the state but not in the spec, nothing is returned"
	case planner.ActionRenew:
		return "renew " + count(len(g.Renewals), "instance")
	case planner.ActionFlag:
		return "set the renew flag of " + count(flagCount(g), "instance")
	case planner.ActionLapse:
		if lapseFlagged(g) == 0 {
			return count(len(g.Lapse), "surplus instance") + " lapsing, leaving at expiry"
		}
		return "let " + count(len(g.Lapse), "surplus instance") + " lapse at expiry, nothing is returned"
	case planner.ActionMove:
		return movedWhat(g)
	case planner.ActionRemove:
		if len(g.Lapse) > 0 {
			return "removed from the state, its instances left to lapse at expiry, nothing is returned"
		}
		return "removed from the state, nothing is returned"
	case planner.ActionNone:
		switch {
		case len(g.Unresolved) > 0:
			return "read the deadline of " + count(len(g.Unresolved), "renewal") + " of unknown outcome"
		case g.ConfigDiff != "":
			return "nothing to buy, configuration changed"
		}
		return "no changes"
	}
	return string(g.Action)
}

// movedWhat says what happens to a moved group's record: "moved (2 instances)".
func movedWhat(g *planner.GroupPlan) string {
	return "moved (" + count(g.Current, "instance") + ")"
}

// counts returns "desired 12, current 0" with pending when there are any.
func counts(g *planner.GroupPlan) string {
	var s string
	if g.Action == planner.ActionOrphan || g.Action == planner.ActionRemove {
		s = "current " + thousands(int64(g.Current))
	} else {
		s = "desired " + thousands(int64(g.Desired)) + ", current " + thousands(int64(g.Current))
	}
	if g.Pending > 0 {
		s += ", pending " + thousands(int64(g.Pending))
	}
	return s
}

// AdoptOrResumeLabel is how the human and Markdown renderings name the action of a group
// whose pending calls carry an instance-name marker: apply adopts the instances it finds by
// the marker, or resumes the calls when it finds none. The JSON document keeps the action
// "resume" and sets adopt_or_resume.
const AdoptOrResumeLabel = "adopt or resume"

// actionLabel names the action of g for people.
func actionLabel(p *planner.Plan, g *planner.GroupPlan) string {
	if g.Action == planner.ActionResume && p.AdoptOrResume(g) {
		return AdoptOrResumeLabel
	}
	return string(g.Action)
}
