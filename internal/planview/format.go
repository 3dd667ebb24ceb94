package planview

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"fleet/executor"
	"fleet/planner"
	"fleet/spec"
)

// thousands formats n with a comma between groups of three digits: 3108 -> "3,108".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// count formats "1 instance", "3,108 instances".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(int64(n)) + " " + noun + "s"
}

// yuan formats a price in fen as yuan with two decimals and separators, as fleet prints
// money everywhere (executor.FormatCNY, without the currency): 123456 -> "1,234.56".
func yuan(fen int64) string {
	return strings.TrimSuffix(executor.FormatCNY(fen), " CNY")
}

// summaryLine is the closing line of a plan with changes or errors:
// "Plan: 259 instances in 6 RunInstances calls, 3,108 instance-months."
func summaryLine(s planner.Summary) string {
	line := "Plan: " + count(s.Purchase, "instance") + " in " + count(s.Calls, "RunInstances call") +
		", " + count(s.InstanceMonths, "instance-month") + "."
	if s.PriceFen != nil {
		line += " Price: " + yuan(*s.PriceFen) + " CNY"
		if s.RenewPriceFen != nil && *s.RenewPriceFen > 0 {
			line += " (renewals " + yuan(*s.RenewPriceFen) + ")"
		}
		line += "."
	}
	if s.Moved > 0 {
		line += " Moved: " + count(s.Moved, "group") + "."
	}
	if s.Removed > 0 {
		line += " Removed: " + count(s.Removed, "group") + "."
	}
	return line + keepSummary(s)
}

// noChangesLine is the closing line of an applyable plan without changes or warnings.
const noChangesLine = "No changes. Every group has the instances its spec asks for."

// planLine is the closing line of a plan with changes or errors: summaryLine, and why there
// is no price when one was asked for.
func planLine(p *planner.Plan) string {
	line := summaryLine(p.Summary)
	if p.PriceNote != "" && p.Summary.PriceFen == nil {
		line += " No price: " + p.PriceNote + "."
	}
	return line
}

// quietLine is the closing line of an applyable plan without changes: noChangesLine, or,
// when the plan warns or instances are lapsing, what it says about them: "No purchases; 8
// lapsing instances in 2 groups, 1 orphan group."
func quietLine(p *planner.Plan) string {
	var surplus, surplusGroups, orphans, drifted, others int
	for _, g := range p.Groups {
		if len(g.Lapse) > 0 {
			surplus += len(g.Lapse)
			surplusGroups++
		}
		switch g.Action {
		case planner.ActionOrphan:
			orphans++
		}
		if g.ConfigDiff != "" {
			drifted++
		}
	}
	for _, d := range p.Diagnostics {
		if d.Severity != hcl.DiagWarning {
			continue
		}
		switch spec.Code(d) {
		case planner.CodeOrphan, planner.CodeConfigDrift, planner.CodeDeadlines:
		default:
			others++
		}
	}
	var parts []string
	if surplusGroups > 0 {
		parts = append(parts, count(surplus, "lapsing instance")+" in "+count(surplusGroups, "group"))
	}
	if orphans > 0 {
		parts = append(parts, count(orphans, "orphan group"))
	}
	if drifted == 1 {
		parts = append(parts, "1 group with a changed configuration")
	} else if drifted > 1 {
		parts = append(parts, thousands(int64(drifted))+" groups with a changed configuration")
	}
	if others > 0 {
		w := count(others, "warning")
		if len(parts) > 0 {
			w = count(others, "other warning")
		}
		parts = append(parts, w)
	}
	if len(parts) == 0 {
		return noChangesLine
	}
	return "No purchases; " + strings.Join(parts, ", ") + "."
}

// notApplyableLine follows the summary line of a plan that cannot be applied.
const notApplyableLine = "The plan cannot be applied until the errors are fixed."

// symbol is the one-character mark of an action in the human rendering.
func symbol(a planner.Action) string {
	switch a {
	case planner.ActionPurchase:
		return "+"
	case planner.ActionResume, planner.ActionMove, planner.ActionRenew, planner.ActionFlag:
		return "~"
	case planner.ActionRemove:
		return "-"
	case planner.ActionInvalid:
		return "!"
	case planner.ActionOrphan:
		return "-"
	case planner.ActionLapse:
		return ">"
	}
	return " "
}
