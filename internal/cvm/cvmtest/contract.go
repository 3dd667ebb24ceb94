package cvmtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"fleet/internal/cvm"
)

// Client is the purchase part of the typed layer (cvm.API, executor.Buyer with
// InquiryInstancePrice), repeated so that the executor's own tests can use this package
// without an import cycle.
type Client interface {
	RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error)
	DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error)
	InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error)
}

// Zone is the zone of every purchase of the contract, Guangzhou zone 3.
const Zone = 100003

// Purchase returns the parameters of a valid RunInstances call for goodsNum CVM.S2 instances
// with 2 cores and 4 GB in Zone, carrying token as its clientToken.
func Purchase(token string, goodsNum int) map[string]string {
	return map[string]string{
		"instanceType": "CVM.S2",
		"cpu":          "2",
		"mem":          "4",
		"imageId":      "img-lkxqa4kj",
		"period":       "1",
		"storageSize":  "0",
		"zoneId":       strconv.Itoa(Zone),
		"password":     "Fleet-demo-2026",
		"goodsNum":     strconv.Itoa(goodsNum),
		"clientToken":  token,
	}
}

// Contract runs the contract as subtests of t. newClient returns a client of a new, empty
// cloud in region Guangzhou each time it is called, with an unlimited balance and quota and
// no faults.
func Contract(t *testing.T, newClient func(t *testing.T) Client) {
	t.Run("PurchaseIsDescribed", func(t *testing.T) { purchaseIsDescribed(t, newClient(t)) })
	t.Run("TokenReplaysFirstAnswer", func(t *testing.T) { tokenReplays(t, newClient(t)) })
	t.Run("TokenRefusesOtherParameters", func(t *testing.T) { tokenMismatch(t, newClient(t)) })
	t.Run("UnknownIDIsAbsent", func(t *testing.T) { unknownID(t, newClient(t)) })
	t.Run("DescribeWalksEveryPage", func(t *testing.T) { pagination(t, newClient(t)) })
	t.Run("PriceOfPurchase", func(t *testing.T) { price(t, newClient(t)) })
}

func buy(t *testing.T, c Client, token string, n int) cvm.RunResult {
	t.Helper()
	res, err := c.RunInstances(context.Background(), Purchase(token, n))
	if err != nil {
		t.Fatalf("RunInstances(%s, goodsNum %d): %v", token, n, err)
	}
	ids := res.AllInstanceIDs()
	if len(ids) != n {
		t.Fatalf("RunInstances(%s, goodsNum %d) returned %d instance ids: %+v", token, n, len(ids), res)
	}
	for _, d := range res.DealIDs {
		if d == "" {
			t.Fatalf("RunInstances(%s) returned an empty deal id: %+v", token, res)
		}
	}
	return res
}

func describe(t *testing.T, c Client, f cvm.DescribeFilter) []string {
	t.Helper()
	list, err := c.DescribeInstances(context.Background(), f)
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	ids := make([]string, 0, len(list))
	for _, in := range list {
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("%s: got %d ids %v, want %d ids %v", what, len(got), got, len(want), want)
	}
}

func purchaseIsDescribed(t *testing.T, c Client) {
	res := buy(t, c, "contract-describe", 2)
	ids := res.AllInstanceIDs()
	if ids[0] == ids[1] {
		t.Fatalf("two instances with one id %s", ids[0])
	}
	list, err := c.DescribeInstances(context.Background(), cvm.DescribeFilter{InstanceIDs: ids})
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	var got []string
	for _, in := range list {
		got = append(got, in.ID)
		if in.CPU != 2 || in.Mem != 4 || in.ZoneID != Zone {
			t.Errorf("instance %s: cpu %d mem %d zone %d, want 2, 4, %d", in.ID, in.CPU, in.Mem, in.ZoneID, Zone)
		}
		if in.Status != 2 && in.Status != 3 {
			t.Errorf("instance %s: status %d, want 3 (creating) or 2 (running)", in.ID, in.Status)
		}
	}
	sameIDs(t, "described by id", got, ids)
	sameIDs(t, "described without a filter", describe(t, c, cvm.DescribeFilter{}), ids)
}

func tokenReplays(t *testing.T, c Client) {
	first := buy(t, c, "contract-replay", 3)
	again := buy(t, c, "contract-replay", 3)
	if !slices.Equal(first.AllInstanceIDs(), again.AllInstanceIDs()) || !slices.Equal(first.DealIDs, again.DealIDs) {
		t.Errorf("replay answered %+v, want the first answer %+v", again, first)
	}
	sameIDs(t, "instances after a replay", describe(t, c, cvm.DescribeFilter{}), first.AllInstanceIDs())
}

func tokenMismatch(t *testing.T, c Client) {
	first := buy(t, c, "contract-mismatch", 1)
	_, err := c.RunInstances(context.Background(), Purchase("contract-mismatch", 2))
	var e *cvm.Error
	if !errors.As(err, &e) || e.Class != cvm.ClassUnknown || e.Code == 0 {
		// Not a refusal: the token bought before, so a caller must not give up on the call
		// and buy again under a new token.
		t.Fatalf("same token, other goodsNum: error %v, want an API error of class unknown", err)
	}
	sameIDs(t, "instances after a mismatched token", describe(t, c, cvm.DescribeFilter{}), first.AllInstanceIDs())
}

func unknownID(t *testing.T, c Client) {
	buy(t, c, "contract-unknown", 1)
	if got := describe(t, c, cvm.DescribeFilter{InstanceIDs: []string{"ins-zzzzzzzz"}}); len(got) != 0 {
		t.Errorf("an unknown id described as %v", got)
	}
}

func pagination(t *testing.T, c Client) {
	var want []string
	for i, n := range []int{100, 100, 50} {
		want = append(want, buy(t, c, fmt.Sprintf("contract-page-%d", i), n).AllInstanceIDs()...)
	}
	sameIDs(t, "all 250 instances", describe(t, c, cvm.DescribeFilter{}), want)
	sameIDs(t, "250 instances by id", describe(t, c, cvm.DescribeFilter{InstanceIDs: want}), want)
	zone := Zone
	project := 0
	sameIDs(t, "250 instances by zone and project", describe(t, c, cvm.DescribeFilter{ZoneID: zone, ProjectID: &project}), want)
	sameIDs(t, "instances of 151 ids", describe(t, c, cvm.DescribeFilter{InstanceIDs: want[50:201]}), want[50:201])
}

func price(t *testing.T, c Client) {
	p, err := c.InquiryInstancePrice(context.Background(), Purchase("contract-price", 1))
	if err != nil {
		t.Fatalf("InquiryInstancePrice: %v", err)
	}
	if p <= 0 {
		t.Errorf("price %d fen, want more than 0", p)
	}
}
