package cvm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
)

// The renewal actions over loopback HTTP against the simulator: the renewal price, a renewal,
// its refusals, and SetAutoRenew's per-instance results, through the trade module's
// transport.

// bought buys n instances of order (one month each) and returns their ids.
func bought(t *testing.T, s *sim, token string, n int) []string {
	t.Helper()
	res, err := s.client.RunInstances(context.Background(), with(order(token), "goodsNum", fmt.Sprint(n)))
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	return res.AllInstanceIDs()
}

func TestConformanceRenewalPrice(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 1}, nil, nil)
	id := bought(t, s, "renew-price", 1)[0]
	monthly, err := s.srv.Price("gz", order("x"))
	if err != nil {
		t.Fatal(err)
	}
	api := cvm.API{CVM: s.client}
	got, err := api.RenewalPrice(context.Background(), id, 3)
	if err != nil {
		t.Fatalf("RenewalPrice: %v", err)
	}
	if got != 3*monthly || got <= 0 {
		t.Errorf("renewal price %d fen for 3 months, want 3 × %d", got, monthly)
	}
	_, err = api.RenewalPrice(context.Background(), "ins-zzzzzzzz", 1)
	wantAPIError(t, err, "InvalidParameter.ResourceNotFound", 5000, cvm.ClassState)
}

func TestConformanceRenewInstance(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 1, BalanceFen: 10_000_000}, nil, nil)
	ctx := context.Background()
	ids := bought(t, s, "renew", 2)
	api := cvm.API{CVM: s.client}
	before, _ := s.srv.Instance(ids[0])
	balance := s.srv.Balance()
	price, err := api.RenewalPrice(ctx, ids[0], 2)
	if err != nil {
		t.Fatal(err)
	}

	deal, err := api.RenewInstance(ctx, ids[0], 2)
	if err != nil {
		t.Fatalf("RenewInstance: %v", err)
	}
	after, _ := s.srv.Instance(ids[0])
	if deal == "" || s.srv.RenewalCount(ids[0]) != 1 || !after.Deadline.Equal(before.Deadline.AddDate(0, 2, 0)) {
		t.Errorf("deal %q, %d renewals, deadline %v -> %v; want one renewal of 2 months", deal, s.srv.RenewalCount(ids[0]), before.Deadline, after.Deadline)
	}
	if got := s.srv.Balance(); got != balance-price {
		t.Errorf("balance %d after the renewal, want %d", got, balance-price)
	}
	list, err := s.client.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: ids[:1]})
	if err != nil || len(list) != 1 || list[0].Deadline == nil || !list[0].Deadline.Equal(after.Deadline.Truncate(time.Second)) {
		t.Errorf("DescribeInstances after the renewal: %+v, %v; want the new deadline %v", list, err, after.Deadline)
	}

	// A balance that does not pay the renewal: refused, nothing renewed, not retryable.
	if err := s.srv.SetBalance(price / 4); err != nil {
		t.Fatal(err)
	}
	_, err = api.RenewInstance(ctx, ids[1], 2)
	e := wantAPIError(t, err, "OperationConstraints.AccountBalanceNotEnough", 5300, cvm.ClassBalance)
	if !cvm.Refused(e) || s.srv.RenewalCount(ids[1]) != 0 || s.srv.Balance() != price/4 {
		t.Errorf("a renewal refused for balance renewed (%d) or charged (balance %d), or does not read as refused", s.srv.RenewalCount(ids[1]), s.srv.Balance())
	}

	// An instance that does not exist, one that was returned.
	_, err = api.RenewInstance(ctx, "ins-zzzzzzzz", 1)
	wantAPIError(t, err, "InvalidParameter.ResourceNotFound", 5000, cvm.ClassState)
	if err := s.srv.SetStatus(ids[1], cvmsim.StatusReturned); err != nil {
		t.Fatal(err)
	}
	_, err = api.RenewInstance(ctx, ids[1], 1)
	wantAPIError(t, err, "OperationConstraints.InvaildInstanceStatus", 5100, cvm.ClassState)
}

func TestConformanceSetAutoRenew(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 1}, nil, nil)
	ctx := context.Background()
	ids := bought(t, s, "flags", 3)
	if err := s.srv.SetStatus(ids[2], cvmsim.StatusReturned); err != nil {
		t.Fatal(err)
	}
	trade := s.newClient(t, nil) // the trade module's own transport, on the same listener
	api := cvm.API{CVM: s.client, Trade: trade}
	asked := s.srv.RequestCount("SetAutoRenew")

	// Partial failure: one unknown id and one returned instance among good ones.
	res, err := api.SetAutoRenew(ctx, []string{ids[0], "ins-zzzzzzzz", ids[1], ids[2]}, cvm.AutoRenewOn)
	if err != nil {
		t.Fatalf("SetAutoRenew with some failures: %v, want per-instance results", err)
	}
	if got := s.srv.RequestCount("SetAutoRenew") - asked; got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
	want := map[string]struct {
		code  int
		name  string
		class cvm.Class
	}{
		ids[0]:         {},
		"ins-zzzzzzzz": {5000, "InvalidParameter.ResourceNotFound", cvm.ClassState},
		ids[1]:         {},
		ids[2]:         {5100, "OperationConstraints.InvaildInstanceStatus", cvm.ClassState},
	}
	if len(res.Items) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(res.Items), len(want), res.Items)
	}
	for _, it := range res.Items {
		w := want[it.InstanceID]
		switch {
		case w.code == 0 && it.Err != nil:
			t.Errorf("%s: %v, want success", it.InstanceID, it.Err)
		case w.code != 0 && (it.Err == nil || it.Err.Code != w.code || it.Err.Name != w.name || it.Err.Class != w.class):
			t.Errorf("%s: %#v, want %s (code %d, class %v)", it.InstanceID, it.Err, w.name, w.code, w.class)
		}
	}
	for _, id := range ids[:2] {
		if in, _ := s.srv.Instance(id); in.AutoRenew != cvm.AutoRenewOn {
			t.Errorf("%s: flag %d in the simulator, want %d", id, in.AutoRenew, cvm.AutoRenewOn)
		}
	}
	list, err := api.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: ids[:1]})
	if err != nil || len(list) != 1 || list[0].AutoRenew == nil || *list[0].AutoRenew != cvm.AutoRenewOn {
		t.Errorf("DescribeInstances: %+v, %v; want the flag set", list, err)
	}

	// Every instance failed: still per-instance results, no call error.
	res, err = api.SetAutoRenew(ctx, []string{"ins-zzzzzzzz", "ins-yyyyyyyy"}, cvm.AutoRenewNever)
	if err != nil || len(res.Failed()) != 2 || len(res.Succeeded()) != 0 {
		t.Errorf("all failed: %+v, %v; want two failed results", res, err)
	}

	// All succeeded.
	res, err = api.SetAutoRenew(ctx, ids[:2], cvm.AutoRenewNever)
	if err != nil || len(res.Succeeded()) != 2 {
		t.Errorf("all succeeded: %+v, %v", res, err)
	}
}

// A request of SetAutoRenew the simulator refuses whole is an error of the call.
func TestConformanceSetAutoRenewRefusedWhole(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 1}, nil, nil)
	// The client refuses more than 100 ids itself; the simulator's own limit is reached
	// through the transport.
	params := map[string]string{"instanceType": "1", "autoRenew": "1"}
	for i := range cvm.MaxAutoRenewIDs + 1 {
		params[fmt.Sprintf("instanceIds.%d", i)] = fmt.Sprintf("ins-%08d", i)
	}
	_, err := s.client.Call(context.Background(), "SetAutoRenew", params)
	var e *cvm.Error
	if !errors.As(err, &e) || e.Class != cvm.ClassParameter || e.Code != 4000 {
		t.Errorf("101 ids: %v, want a parameter error of the whole request", err)
	}
}
