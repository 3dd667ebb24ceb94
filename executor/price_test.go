package executor

import (
	"context"
	"errors"
	"maps"
	"math"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/secret"
	"fleet/planner"
	"fleet/spec"
)

// priceFake prices one instance at cpu×perCore fen and records every inquiry.
type priceFake struct {
	mu      sync.Mutex
	perCore int64
	asked   []map[string]string
	err     error
}

func (f *priceFake) RunInstances(context.Context, map[string]string) (cvm.RunResult, error) {
	return cvm.RunResult{}, errors.New("priceFake buys nothing")
}

func (f *priceFake) DescribeInstances(context.Context, cvm.DescribeFilter) ([]cvm.Instance, error) {
	return nil, errors.New("priceFake knows no instances")
}

func (f *priceFake) RenewalPrice(context.Context, string, int) (int64, error) {
	return 0, errors.New("priceFake knows no renewals")
}

func (f *priceFake) InquiryInstancePrice(_ context.Context, params map[string]string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, maps.Clone(params))
	if f.err != nil {
		return 0, f.err
	}
	cpu, _ := strconv.Atoi(params["cpu"])
	goods, _ := strconv.Atoi(params["goodsNum"])
	return int64(cpu) * int64(goods) * f.perCore, nil
}

// priceCall returns a call of group with goods instances and cpu cores.
func priceCall(group string, seq, goods, cpu int, extra map[string]string) *planner.Call {
	p := map[string]string{
		"cpu": strconv.Itoa(cpu), "mem": "4", "imageId": "img-31tjrtph", "period": "12",
		"instanceType": "CVM.S2", "zoneId": "100003", "storageType": "1", "storageSize": "0",
		"goodsNum": strconv.Itoa(goods), "clientToken": token(group, seq), "instanceName": group,
		"password": secret.Hash("Secret-123"),
	}
	maps.Copy(p, extra)
	return &planner.Call{Group: group, Seq: seq, ClientToken: p["clientToken"], GoodsNum: goods, Params: p}
}

func pricePlan(calls ...*planner.Call) *planner.Plan {
	p := &planner.Plan{Fleet: "prod", Region: "ap-guangzhou"}
	byName := map[string]*planner.GroupPlan{}
	for _, c := range calls {
		g := byName[c.Group]
		if g == nil {
			g = &planner.GroupPlan{Name: c.Group, Action: planner.ActionPurchase}
			byName[c.Group] = g
			p.Groups = append(p.Groups, g)
		}
		g.Calls = append(g.Calls, c)
		g.Purchase += c.GoodsNum
	}
	return p
}

func TestPriceOneInquiryPerConfiguration(t *testing.T) {
	fake := &priceFake{perCore: 100}
	plan := pricePlan(
		priceCall("api", 0, 100, 2, nil),
		priceCall("api", 1, 3, 2, nil),
		// The same configuration under another name, token and placement.
		priceCall("web", 0, 1, 2, map[string]string{"vpcId": "vpc-1", "subnetId": "subnet-1", "privateIpAddresses.0": "10.0.0.5"}),
		priceCall("web", 1, 1, 2, map[string]string{"vpcId": "vpc-1", "subnetId": "subnet-1", "privateIpAddresses.0": "10.0.0.6"}),
		// Another configuration.
		priceCall("db", 0, 2, 8, nil),
	)
	q, err := Price(context.Background(), fake, plan)
	if err != nil {
		t.Fatal(err)
	}
	want := &Quote{
		Groups:    map[string]int64{"api": 103 * 200, "web": 2 * 200, "db": 2 * 800},
		Total:     103*200 + 2*200 + 2*800,
		Inquiries: 2,
	}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("quote (-want +got):\n%s", diff)
	}
	if len(fake.asked) != 2 {
		t.Fatalf("%d inquiries, want 2", len(fake.asked))
	}
	for _, p := range fake.asked {
		if p["goodsNum"] != "1" {
			t.Errorf("inquiry goodsNum %q, want 1 (priced per instance)", p["goodsNum"])
		}
		for k := range p {
			if k == "clientToken" || k == "password" || strings.HasPrefix(k, "privateIpAddresses.") {
				t.Errorf("inquiry carries %s, want it left out", k)
			}
		}
	}
	if plan.Summary.PriceFen != nil {
		t.Errorf("Price changed the plan's summary")
	}
}

func TestPriceDistinguishesWhatChangesThePrice(t *testing.T) {
	base := priceCall("a", 0, 1, 2, nil)
	for _, tc := range []struct {
		name  string
		extra map[string]string
		same  bool
	}{
		{"period", map[string]string{"period": "24"}, false},
		{"zone", map[string]string{"zoneId": "100002"}, false},
		{"family", map[string]string{"instanceType": "CVM.S1"}, false},
		{"data disk", map[string]string{"storageSize": "50"}, false},
		{"bandwidth", map[string]string{"bandwidth": "5"}, false},
		{"password", map[string]string{"password": secret.Hash("Other-456")}, true},
		{"key", map[string]string{"keyId": "skey-3glfot13"}, true},
		{"name", map[string]string{"instanceName": "other"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &priceFake{perCore: 1}
			if _, err := Price(context.Background(), fake, pricePlan(base, priceCall("b", 0, 1, 2, tc.extra))); err != nil {
				t.Fatal(err)
			}
			want := 2
			if tc.same {
				want = 1
			}
			if len(fake.asked) != want {
				t.Errorf("%d inquiries, want %d", len(fake.asked), want)
			}
		})
	}
}

func TestPriceNoCalls(t *testing.T) {
	fake := &priceFake{perCore: 1}
	plan := &planner.Plan{Groups: []*planner.GroupPlan{{Name: "web", Action: planner.ActionNone}}}
	q, err := Price(context.Background(), fake, plan)
	if err != nil {
		t.Fatal(err)
	}
	if q.Total != 0 || q.Inquiries != 0 || len(q.Groups) != 0 || len(fake.asked) != 0 {
		t.Errorf("quote %+v after %d inquiries, want nothing", q, len(fake.asked))
	}
}

func TestPriceErrors(t *testing.T) {
	refused := &cvm.Error{Action: "InquiryInstancePrice", Code: 4000, Name: "InvalidParameter", Message: "no", Class: cvm.ClassParameter}
	_, err := Price(context.Background(), &priceFake{err: refused}, pricePlan(priceCall("web", 3, 1, 2, nil)))
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), "group web call #3") {
		t.Errorf("error %v, want the refusal, naming the group and call", err)
	}

	_, err = Price(context.Background(), &priceFake{perCore: math.MaxInt64 / 2}, pricePlan(priceCall("web", 0, 100, 2, nil)))
	if err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("error %v, want an overflow", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fake := &priceFake{perCore: 1}
	if _, err := Price(ctx, fake, pricePlan(priceCall("web", 0, 1, 2, nil))); !errors.Is(err, context.Canceled) || len(fake.asked) != 0 {
		t.Errorf("error %v after %d inquiries, want context.Canceled and none", err, len(fake.asked))
	}
}

func TestInquiryParamsKeepsTheCall(t *testing.T) {
	call := priceCall("web", 0, 7, 2, map[string]string{"privateIpAddresses.0": "10.0.0.5"})
	before := maps.Clone(call.Params)
	p := InquiryParams(call.Params)
	if diff := cmp.Diff(before, call.Params); diff != "" {
		t.Errorf("InquiryParams changed the call's params (-want +got):\n%s", diff)
	}
	if p["goodsNum"] != "1" || p["cpu"] != "2" || p["instanceType"] != "CVM.S2" {
		t.Errorf("inquiry params %v", p)
	}
}

func TestYuan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fen  int64
		back string
	}{
		{"0", 0, "0.00"},
		{"1956", 195600, "1956.00"},
		{"1956.5", 195650, "1956.50"},
		{"1956.05", 195605, "1956.05"},
		{".5", 50, "0.50"},
		{" 12 ", 1200, "12.00"},
	} {
		got, err := ParseYuan(tc.in)
		if err != nil || got != tc.fen {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", tc.in, got, err, tc.fen)
		}
		if s := FormatYuan(got); s != tc.back {
			t.Errorf("FormatYuan(%d) = %q, want %q", got, s, tc.back)
		}
	}
	for _, bad := range []string{"", ".", "1.", "1.234", "-5", "1e3", "12,5", "abc", "99999999999999999999"} {
		if _, err := ParseYuan(bad); err == nil {
			t.Errorf("ParseYuan(%q) succeeded, want an error", bad)
		}
	}
	if s := FormatYuan(-150); s != "-1.50" {
		t.Errorf("FormatYuan(-150) = %q, want -1.50", s)
	}
	if s := FormatYuan(math.MinInt64); !strings.HasPrefix(s, "-92233720368547758.") {
		t.Errorf("FormatYuan(MinInt64) = %q", s)
	}
}

// simClient starts a simulator on 127.0.0.1 and returns it with a client of it.
func simClient(t *testing.T, cfg cvmsim.Config) (*cvmsim.Server, *cvm.Client) {
	t.Helper()
	sim, err := cvmsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		_ = sim.Close()
	})
	c, err := cvm.New(cvm.Config{Endpoint: srv.URL + cvmsim.Path, SecretID: cvmsim.DemoSecretID, SecretKey: cvmsim.DemoSecretKey, Region: "ap-guangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

const priceSpec = `
fleet "prod" {
  region = "ap-guangzhou"
}

defaults {
  image_id = "img-31tjrtph"
  zone_id  = 100003
  key_id   = "skey-3glfot13"
}

group "api" {
  count         = 103
  instance_type = "CVM.S2"
  cpu           = 1
  mem           = 2
  period        = 1
}

group "web" {
  count         = 2
  instance_type = "CVM.S2"
  cpu           = 1
  mem           = 2
  period        = 1
}

group "db" {
  count         = 3
  instance_type = "CVM.S1"
  cpu           = 2
  mem           = 4
  period        = 12
  storage_size  = 50
  bandwidth     = 1
}
`

// TestPriceAgainstSimulator prices a planned spec through the real client: the prices are
// those of the simulator's documented table, and each configuration is asked once.
func TestPriceAgainstSimulator(t *testing.T) {
	f, diags := spec.Load([]spec.File{{Name: "main.fleet.hcl", Src: []byte(priceSpec)}}, spec.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan := planner.Compute(f, nil)
	sim, c := simClient(t, cvmsim.Config{Seed: 1})
	q, err := Price(context.Background(), over(WithRetry(c, RetryPolicy{})), plan)
	if err != nil {
		t.Fatal(err)
	}
	// CVM.S2: 3800 a core and 1300 a GB a month. CVM.S1: 3600 and 1200, plus 50 GB of local
	// disk at 30 and 1 Mbps at 2000, for 12 months.
	want := &Quote{
		Groups:    map[string]int64{"api": 103 * (3800 + 2*1300), "web": 2 * (3800 + 2*1300), "db": 3 * 12 * (2*3600 + 4*1200 + 50*30 + 2000)},
		Inquiries: 2,
	}
	want.Total = want.Groups["api"] + want.Groups["web"] + want.Groups["db"]
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("quote (-want +got):\n%s", diff)
	}
	if n := sim.RequestCount("InquiryInstancePrice"); n != 2 {
		t.Errorf("the simulator was asked %d prices, want 2", n)
	}
	// The same as the simulator charges for the calls themselves.
	var charged int64
	for _, g := range plan.Groups {
		for _, call := range g.Calls {
			p, err := sim.Price("ap-guangzhou", call.Params)
			if err != nil {
				t.Fatal(err)
			}
			charged += p
		}
	}
	if charged != q.Total {
		t.Errorf("the simulator charges %d fen for the calls, the quote says %d", charged, q.Total)
	}
}
