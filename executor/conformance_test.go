package executor

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/planner"
)

// clientConformance checks what the executor relies on from any Client: a call buys
// goodsNum instances, the same token with the same parameters gets the first answer again,
// and another token buys anew.
func clientConformance(t *testing.T, c Buyer) {
	ctx := context.Background()
	p := benchPlan(1).Calls()[0].Params
	p["goodsNum"] = "3"
	p["clientToken"] = planner.Token("conf", "ap-guangzhou", 0, "g", 0, p)

	first, err := c.RunInstances(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	ids := first.AllInstanceIDs()
	if len(ids) != 3 || len(first.DealIDs) == 0 {
		t.Fatalf("got %+v, want 3 instances and a deal", first)
	}
	again, err := c.RunInstances(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.AllInstanceIDs(), ids) {
		t.Fatalf("the same token bought %v, then %v; want the first answer again", ids, again.AllInstanceIDs())
	}
	other := copyParams(p)
	other["clientToken"] = planner.Token("conf", "ap-guangzhou", 0, "g", 1, p)
	third, err := c.RunInstances(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range third.AllInstanceIDs() {
		if slices.Contains(ids, id) {
			t.Fatalf("another token answered with instance %s of the first", id)
		}
	}
}

func TestClientConformance(t *testing.T) {
	t.Run("fake", func(t *testing.T) { clientConformance(t, newFake()) })
	t.Run("cvm+cvmsim", func(t *testing.T) {
		sim, err := cvmsim.New(cvmsim.Config{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		defer srv.Close()
		c, err := cvm.New(cvm.Config{Endpoint: srv.URL + cvmsim.Path, SecretID: cvmsim.DemoSecretID, SecretKey: cvmsim.DemoSecretKey, Region: "ap-guangzhou"})
		if err != nil {
			t.Fatal(err)
		}
		clientConformance(t, c)
		clientConformance(t, over(WithRetry(WithRateLimit(Detach(c), 100), RetryPolicy{})))
	})
}
