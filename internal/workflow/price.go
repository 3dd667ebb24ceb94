package workflow

import (
	"context"
	"fmt"
	"strings"

	"fleet/executor"
	"fleet/planner"
)

// PricePlan asks the price of every call of p and records it in the plan: per group (every
// group, 0 for a group without calls) and in the summary.
func PricePlan(ctx context.Context, c executor.Client, p *planner.Plan) error {
	q, err := executor.Price(ctx, c, p)
	if err != nil {
		return err
	}
	for _, g := range p.Groups {
		fen := q.Groups[g.Name]
		g.PriceFen = &fen
	}
	total := q.Total
	p.Summary.PriceFen = &total
	return nil
}

// CheckMaxCost returns the error of a priced plan that costs more than limit (in fen), or
// nil. The error names both figures.
func CheckMaxCost(p *planner.Plan, limit *int64) error {
	if limit == nil || p.Summary.PriceFen == nil || *p.Summary.PriceFen <= *limit {
		return nil
	}
	return fmt.Errorf("the plan costs %s, more than --max-cost %s: nothing was bought",
		FormatCNY(*p.Summary.PriceFen), FormatCNY(*limit))
}

// FormatCNY formats an amount in fen as fleet prints money everywhere: yuan with two
// decimals, thousands separated by commas, and the currency, e.g. "11,808.00 CNY".
func FormatCNY(fen int64) string {
	s := executor.FormatYuan(fen)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + "." + frac + " CNY"
}
