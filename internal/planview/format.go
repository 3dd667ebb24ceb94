package planview

import (
	"strconv"

	"fleet/planner"
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

// yuan formats a price in fen as yuan with two decimals and separators: 123456 -> "1,234.56".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + thousands(fen/100) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}

// summaryLine is the closing line of a plan with changes or errors:
// "Plan: 259 instances in 6 RunInstances calls, 3,108 instance-months."
func summaryLine(s planner.Summary) string {
	line := "Plan: " + count(s.Purchase, "instance") + " in " + count(s.Calls, "RunInstances call") +
		", " + count(s.InstanceMonths, "instance-month") + "."
	if s.PriceFen != nil {
		line += " Price: " + yuan(*s.PriceFen) + " CNY."
	}
	if s.Moved > 0 {
		line += " Moved: " + count(s.Moved, "group") + "."
	}
	if s.Removed > 0 {
		line += " Removed: " + count(s.Removed, "group") + "."
	}
	return line
}

// noChangesLine is the closing line of an applyable plan without calls.
const noChangesLine = "No changes. Every group has the instances its spec asks for."

// notApplyableLine follows the summary line of a plan that cannot be applied.
const notApplyableLine = "The plan cannot be applied until the errors are fixed."

// symbol is the one-character mark of an action in the human rendering.
func symbol(a planner.Action) string {
	switch a {
	case planner.ActionPurchase:
		return "+"
	case planner.ActionResume, planner.ActionMove:
		return "~"
	case planner.ActionRemove:
		return "-"
	case planner.ActionInvalid:
		return "!"
	case planner.ActionOrphan:
		return "-"
	case planner.ActionSurplus:
		return ">"
	}
	return " "
}
