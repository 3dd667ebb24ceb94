package workflow

import (
	"context"
	"fmt"

	"fleet/executor"
	"fleet/planner"
)

// PricePlan asks the price of every call and renewal of p and records it in the plan: per
// group (every group, 0 for a group without calls), per renewal and in the summary.
func PricePlan(ctx context.Context, c executor.Pricer, p *planner.Plan) error {
	q, err := executor.Price(ctx, c, p)
	if err != nil {
		return err
	}
	for _, g := range p.Groups {
		fen := q.Groups[g.Name]
		g.PriceFen = &fen
		for _, r := range g.Renewals {
			fen := q.Renewals[r]
			r.PriceFen = &fen
		}
	}
	total, purchase, renewal := q.Total, q.Total-q.Renewal, q.Renewal
	p.Summary.PriceFen, p.Summary.PurchasePriceFen, p.Summary.RenewPriceFen = &total, &purchase, &renewal
	return nil
}

// CheckMaxCost returns the error of a priced plan that costs more than limit (in fen), or
// nil. The error names both figures.
func CheckMaxCost(p *planner.Plan, limit *int64) error {
	if limit == nil || p.Summary.PriceFen == nil || *p.Summary.PriceFen <= *limit {
		return nil
	}
	return fmt.Errorf("the plan costs %s, more than --max-cost %s: nothing was bought or renewed",
		executor.FormatCNY(*p.Summary.PriceFen), executor.FormatCNY(*limit))
}
