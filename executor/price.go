package executor

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"fleet/internal/cvm"
	"fleet/internal/secret"
	"fleet/planner"
	"fleet/spec"
)

// Quote is the price of a plan's calls, in fen (1/100 yuan), for the whole prepaid period.
type Quote struct {
	Groups    map[string]int64 // purchases, per group that has calls
	Total     int64            // purchases and renewals
	Inquiries int              // InquiryInstancePrice calls made
	// Renewal is the price of the renewals, Renewals that of each.
	Renewal  int64
	Renewals map[*planner.Renewal]int64
}

// Price asks InquiryInstancePrice the price of every call of p and returns it per group and
// in total. Calls that differ only in what does not change the price (client token, number
// of instances, private address, instance name, network placement, secrets) share one
// inquiry: each distinct configuration is asked once, for one instance, and the price is
// multiplied by each call's goodsNum. Resumed calls are priced too: their outcome is unknown,
// and resolving them may buy. No secret is sent: the inquiry does not need the password.
//
// c should be wrapped with the same retry and rate-limit decorators as an apply. The plan
// is not changed; a caller that shows the price sets p.Summary.PriceFen to &q.Total.
func Price(ctx context.Context, c Pricer, p *planner.Plan) (*Quote, error) {
	if c == nil || p == nil {
		return nil, fmt.Errorf("price: client and plan are required")
	}
	q := &Quote{Groups: map[string]int64{}}
	unit := map[string]int64{} // configuration key -> price of one instance
	for _, g := range p.Groups {
		for _, call := range g.Calls {
			params := InquiryParams(call.Params)
			key := priceKey(params)
			one, ok := unit[key]
			if !ok {
				if err := ctx.Err(); err != nil {
					return nil, fmt.Errorf("price: %w", err)
				}
				q.Inquiries++
				price, err := c.InquiryInstancePrice(withCallLabel(ctx, g.Name, call.Seq), params)
				if err != nil {
					return nil, fmt.Errorf("price group %s call #%d: %w", g.Name, call.Seq, err)
				}
				if price < 0 {
					return nil, fmt.Errorf("price group %s call #%d: negative price %d", g.Name, call.Seq, price)
				}
				unit[key], one = price, price
			}
			cost, ok := mulFen(one, int64(call.GoodsNum))
			if ok {
				cost, ok = addFen(q.Groups[g.Name], cost)
			}
			if !ok {
				return nil, fmt.Errorf("price group %s: the price overflows", g.Name)
			}
			q.Groups[g.Name] = cost
		}
	}
	for _, cost := range q.Groups {
		total, ok := addFen(q.Total, cost)
		if !ok {
			return nil, fmt.Errorf("price: the total overflows")
		}
		q.Total = total
	}
	if err := priceRenewals(ctx, c, p, q); err != nil {
		return nil, err
	}
	return q, nil
}

// priceRenewals asks the renewal price of every renewal of p (the renewal variant of
// InquiryInstancePrice, one instance a call: each instance has its own price) and adds it
// to q: per renewal in Renewals, in all in Renewal and Total.
func priceRenewals(ctx context.Context, c Pricer, p *planner.Plan, q *Quote) error {
	for _, g := range p.Groups {
		for _, r := range g.Renewals {
			if q.Renewals == nil {
				q.Renewals = map[*planner.Renewal]int64{}
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("price: %w", err)
			}
			q.Inquiries++
			price, err := c.RenewalPrice(ctx, r.InstanceID, r.Period)
			if err != nil {
				return fmt.Errorf("price the renewal of %s (group %s): %w", r.InstanceID, g.Name, err)
			}
			if price < 0 {
				return fmt.Errorf("price the renewal of %s (group %s): negative price %d", r.InstanceID, g.Name, price)
			}
			q.Renewals[r] = price
			var ok bool
			if q.Renewal, ok = addFen(q.Renewal, price); ok {
				q.Total, ok = addFen(q.Total, price)
			}
			if !ok {
				return fmt.Errorf("price: the renewals overflow")
			}
		}
	}
	return nil
}

// InquiryParams returns the parameters of the price inquiry for one instance of a call
// planned with params: the call's parameters without its client token, private addresses
// and secrets, with goodsNum 1.
func InquiryParams(params map[string]string) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		switch {
		case k == "clientToken", secret.IsParam(k), strings.HasPrefix(k, "privateIpAddresses."):
			continue
		}
		out[k] = v
	}
	out["goodsNum"] = "1"
	return out
}

// priceKey is the identity of a configuration for pricing: the parameters the inquiry sends,
// in a canonical order.
func priceKey(params map[string]string) string {
	sent := cvm.PriceParams(params)
	var b strings.Builder
	for _, k := range spec.SortedKeys(sent) {
		b.WriteString(strconv.Quote(k))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(sent[k]))
		b.WriteByte('\n')
	}
	return b.String()
}

// FormatYuan formats an amount in fen as yuan with two decimals, e.g. "1956.00".
func FormatYuan(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-(fen+1))+1
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// FormatCNY formats an amount in fen as fleet prints money everywhere: yuan with two
// decimals, thousands separated by commas, and the currency, e.g. "11,808.00 CNY".
func FormatCNY(fen int64) string {
	s := FormatYuan(fen)
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

// ParseYuan reads an amount of yuan with at most two decimals, e.g. "1956" or "1956.5", and
// returns it in fen. It is the form of a cost limit given on the command line.
func ParseYuan(s string) (int64, error) {
	whole, frac, hasFrac := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" && !hasFrac || hasFrac && (frac == "" || len(frac) > 2) || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("amount %q: want yuan as digits with at most two decimals, e.g. 1956.50", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	if whole == "" {
		whole = "0"
	}
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: too large", s)
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	fen, ok := mulFen(y, 100)
	if ok {
		fen, ok = addFen(fen, f)
	}
	if !ok {
		return 0, fmt.Errorf("amount %q: too large", s)
	}
	return fen, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func mulFen(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a < 0 || b < 0 || a > math.MaxInt64/b {
		return 0, false
	}
	return a * b, true
}

func addFen(a, b int64) (int64, bool) {
	if b > 0 && a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}
