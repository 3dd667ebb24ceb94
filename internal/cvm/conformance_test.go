package cvm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fleet/executor"
	"fleet/internal/cvm"
	"fleet/internal/cvm/cvmtest"
	"fleet/internal/cvmsim"
)

// The conformance suite runs the real client over loopback HTTP against the simulator: what
// the one must send, the other must accept, and every answer of the simulator must reach the
// caller as the result or the *cvm.Error the executor acts on.

// sim is a simulator served on 127.0.0.1 and the client pointed at it.
type sim struct {
	srv    *cvmsim.Server
	url    string
	client *cvm.Client
}

// startSim serves a simulator set up by cfg through wrap (nil: directly) and returns it with
// a client configured by mod.
func startSim(t *testing.T, cfg cvmsim.Config, wrap func(http.Handler) http.Handler, mod func(*cvm.Config)) *sim {
	t.Helper()
	srv, err := cvmsim.New(cfg)
	if err != nil {
		t.Fatalf("cvmsim.New: %v", err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	s := &sim{srv: srv, url: hs.URL + cvmsim.Path}
	s.client = s.newClient(t, mod)
	return s
}

func (s *sim) newClient(t *testing.T, mod func(*cvm.Config)) *cvm.Client {
	t.Helper()
	cfg := cvm.Config{
		Endpoint:  s.url,
		SecretID:  cvmsim.DemoSecretID,
		SecretKey: cvmsim.DemoSecretKey,
		Region:    "gz",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := cvm.New(cfg)
	if err != nil {
		t.Fatalf("cvm.New: %v", err)
	}
	return c
}

// order returns the parameters of a valid purchase of one CVM.S2 2-core 4 GB instance in
// Guangzhou zone 3, with token as its clientToken.
func order(token string) map[string]string { return cvmtest.Purchase(token, 1) }

func with(p map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(p)+len(kv)/2)
	for k, v := range p {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// wantAPIError checks that err is a *cvm.Error with the API's name, code and class.
func wantAPIError(t *testing.T, err error, name string, code int, class cvm.Class) *cvm.Error {
	t.Helper()
	var e *cvm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *cvm.Error %s", err, err, name)
	}
	if e.Name != name || e.Code != code || e.Class != class {
		t.Fatalf("got %s (code %d, class %v), want %s (code %d, class %v): %v",
			e.Name, e.Code, e.Class, name, code, class, err)
	}
	return e
}

func TestConformanceGoodPurchase(t *testing.T) {
	for _, method := range []string{"HmacSHA256", "HmacSHA1"} {
		t.Run(method, func(t *testing.T) {
			s := startSim(t, cvmsim.Config{Seed: 1, BalanceFen: 10_000_000}, nil, func(c *cvm.Config) {
				c.SignatureMethod = method
				c.Token = "session-token-1"
			})
			ctx := context.Background()
			params := with(order("good-1"), "goodsNum", "2", "storageSize", "50", "bandwidth", "1")

			price, err := s.client.InquiryInstancePrice(ctx, params)
			if err != nil {
				t.Fatalf("InquiryInstancePrice: %v", err)
			}
			want, err := s.srv.Price("gz", params)
			if err != nil {
				t.Fatalf("simulator price: %v", err)
			}
			if price != want || price <= 0 {
				t.Errorf("price %d fen, want %d", price, want)
			}

			res, err := s.client.RunInstances(ctx, params)
			if err != nil {
				t.Fatalf("RunInstances: %v", err)
			}
			if len(res.DealIDs) != 1 || len(res.InstanceIDs[res.DealIDs[0]]) != 2 {
				t.Fatalf("result %+v, want one deal of two instances", res)
			}
			if got := s.srv.Balance(); got != 10_000_000-price {
				t.Errorf("balance %d after the purchase, want %d", got, 10_000_000-price)
			}
			ids := res.AllInstanceIDs()
			for _, id := range ids {
				in, ok := s.srv.Instance(id)
				if !ok {
					t.Fatalf("the simulator has no instance %s", id)
				}
				if in.CPU != 2 || in.Mem != 4 || in.ZoneID != 100003 || in.ClientToken != "good-1" ||
					strconv.FormatInt(in.DealID, 10) != res.DealIDs[0] {
					t.Errorf("instance %s: %+v", id, in)
				}
			}

			got, err := s.client.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: ids})
			if err != nil {
				t.Fatalf("DescribeInstances: %v", err)
			}
			if len(got) != 2 {
				t.Fatalf("described %d instances, want 2", len(got))
			}
			for _, in := range got {
				simIn, _ := s.srv.Instance(in.ID)
				want := cvm.Instance{ID: simIn.ID, Name: simIn.Name, Status: simIn.Status, ZoneID: 100003,
					CPU: 2, Mem: 4, LanIP: simIn.LanIP, ImageID: "img-lkxqa4kj", ProjectID: 0,
					PrivateIPs: []string{simIn.LanIP}}
				if simIn.WanIP != "" {
					want.PublicIPs = []string{simIn.WanIP}
				}
				if len(in.Notes) > 0 {
					t.Errorf("instance %s: notes %q", in.ID, in.Notes)
				}
				// The expiry and renew flag are checked against answers of known form in
				// describe_fields_test.go, not against the simulator's choice of them.
				in.CreateTime, in.Deadline, in.DeadlineText, in.AutoRenew = "", nil, "", nil
				if diff := cmp.Diff(want, in); diff != "" {
					t.Errorf("described instance (-want +got):\n%s", diff)
				}
				if in.Status != cvmsim.StatusRunning && in.Status != cvmsim.StatusCreating {
					t.Errorf("instance %s has status %d, want 3 or 2", in.ID, in.Status)
				}
			}
		})
	}
}

// TestConformanceCreatingThenRunning follows a new instance from status 3 to 2 on a clock the
// test moves.
func TestConformanceCreatingThenRunning(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := startSim(t, cvmsim.Config{Seed: 2, CreateDelay: time.Minute, Now: clock}, nil,
		func(c *cvm.Config) { c.Now = clock })
	ctx := context.Background()
	res, err := s.client.RunInstances(ctx, order("clock-1"))
	if err != nil {
		t.Fatal(err)
	}
	ids := res.AllInstanceIDs()
	for _, want := range []int{cvmsim.StatusCreating, cvmsim.StatusRunning} {
		got, err := s.client.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Status != want {
			t.Fatalf("described %+v, want one instance in status %d", got, want)
		}
		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
	}
}

// TestConformanceErrorCodes sends each purchase the document's error codes refuse.
func TestConformanceErrorCodes(t *testing.T) {
	vpc := cvmsim.VPC{ID: "vpc-conf0001", Subnets: []cvmsim.Subnet{{ID: "subnet-conf0001", ZoneID: 100003, CIDR: "10.0.1.0/24"}}}
	inVPC := func(token, ip string) map[string]string {
		return with(order(token), "vpcId", vpc.ID, "subnetId", "subnet-conf0001", "privateIpAddresses.0", ip)
	}
	tests := []struct {
		name   string
		cfg    cvmsim.Config
		before []map[string]string // purchases that must succeed first
		params map[string]string
		want   string
		code   int
		class  cvm.Class
	}{
		{name: "zone", params: with(order("e-zone"), "zoneId", "999999"),
			want: "InvalidParameter.InvaildZoneId", code: 4000, class: cvm.ClassParameter},
		{name: "busy", cfg: cvmsim.Config{BusyRate: 1}, params: order("e-busy"),
			want: "OperationFail.SystemBusy", code: 6000, class: cvm.ClassRetryable},
		{name: "password", params: with(order("e-pw"), "password", "short"),
			want: "InvalidParameter.PasswordNotConformSpecs", code: 4000, class: cvm.ClassParameter},
		{name: "balance", cfg: cvmsim.Config{BalanceFen: 100}, params: order("e-balance"),
			want: "OperationConstraints.AccountBalanceNotEnough", code: 5300, class: cvm.ClassBalance},
		{name: "ip format", params: inVPC("e-ipfmt", "10.0.1.300"),
			want: "InvalidParameter.InvalidIpFormat", code: 4000, class: cvm.ClassParameter},
		{name: "reserved ip", params: inVPC("e-reserved", "10.0.1.1"),
			want: "InvalidParameter.NotSupportReservedIp", code: 4000, class: cvm.ClassParameter},
		{name: "ip outside subnet", params: inVPC("e-cidr", "10.0.2.5"),
			want: "InvalidParameter.IpNotInCidrRange", code: 4000, class: cvm.ClassParameter},
		{name: "ip in use", before: []map[string]string{inVPC("e-first", "10.0.1.5")}, params: inVPC("e-second", "10.0.1.5"),
			want: "InvalidParameter.IpInUse", code: 4000, class: cvm.ClassParameter},
		{name: "quota", cfg: cvmsim.Config{Quota: 1}, before: []map[string]string{order("e-q1")}, params: order("e-q2"),
			want: "OperationConstraints.InstanceQuotaExceeded", code: cvmsim.CodeQuota, class: cvm.ClassQuota},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Seed = 3
			cfg.VPCs = []cvmsim.VPC{vpc}
			s := startSim(t, cfg, nil, nil)
			ctx := context.Background()
			for _, p := range tt.before {
				if _, err := s.client.RunInstances(ctx, p); err != nil {
					t.Fatalf("purchase before the test: %v", err)
				}
			}
			before := s.srv.Purchases()
			_, err := s.client.RunInstances(ctx, tt.params)
			wantAPIError(t, err, tt.want, tt.code, tt.class)
			if got := s.srv.Purchases(); got != before {
				t.Errorf("%d purchases after a refused call, want %d", got, before)
			}
		})
	}
}

func TestConformanceAuthentication(t *testing.T) {
	ctx := context.Background()
	t.Run("wrong secret key", func(t *testing.T) {
		s := startSim(t, cvmsim.Config{Seed: 4}, nil, func(c *cvm.Config) { c.SecretKey = "not-the-key" })
		_, err := s.client.RunInstances(ctx, order("auth-1"))
		wantAPIError(t, err, "InvalidParameter.SignatureFailure", 4100, cvm.ClassAuth)
		if s.srv.Purchases() != 0 {
			t.Error("a purchase with a wrong signature")
		}
	})
	t.Run("unknown secret id", func(t *testing.T) {
		s := startSim(t, cvmsim.Config{Seed: 4}, nil, func(c *cvm.Config) { c.SecretID = "AKIDunknown" })
		_, err := s.client.DescribeInstances(ctx, cvm.DescribeFilter{})
		wantAPIError(t, err, "InvalidParameter.SecretIdNotFound", 4104, cvm.ClassAuth)
	})
	t.Run("own credentials", func(t *testing.T) {
		s := startSim(t, cvmsim.Config{Seed: 4, SecretID: "AKIDown", SecretKey: "own-key"}, nil,
			func(c *cvm.Config) { c.SecretID, c.SecretKey = "AKIDown", "own-key" })
		if _, err := s.client.RunInstances(ctx, order("auth-2")); err != nil {
			t.Fatal(err)
		}
	})
}

// replayer sends the body of the first request again in place of the second one, as an
// attacker who recorded it would.
type replayer struct {
	next  http.Handler
	mu    sync.Mutex
	first []byte
}

func (r *replayer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	if r.first == nil {
		r.first = body
	} else {
		body = r.first
	}
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	r.next.ServeHTTP(w, req)
}

func TestConformanceReplayedNonce(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 5}, func(h http.Handler) http.Handler { return &replayer{next: h} }, nil)
	ctx := context.Background()
	if _, err := s.client.DescribeInstances(ctx, cvm.DescribeFilter{}); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err := s.client.DescribeInstances(ctx, cvm.DescribeFilter{})
	wantAPIError(t, err, "InvalidRequest.ReplayAttack", 4500, cvm.ClassClock)
}

// TestConformanceFreshNonces makes many calls in a row and in parallel: a Nonce the simulator
// has seen would be refused as a replay.
func TestConformanceFreshNonces(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 6}, nil, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if _, err := s.client.DescribeInstances(ctx, cvm.DescribeFilter{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConformanceTimestampWindow(t *testing.T) {
	ctx := context.Background()
	for _, skew := range []time.Duration{-10 * time.Minute, 10 * time.Minute, -6 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			s := startSim(t, cvmsim.Config{Seed: 7}, nil, func(c *cvm.Config) {
				c.Now = func() time.Time { return time.Now().Add(skew) }
			})
			_, err := s.client.RunInstances(ctx, order("clock"))
			wantAPIError(t, err, "InvalidRequest.ReplayAttack", 4500, cvm.ClassClock)
			if s.srv.Purchases() != 0 {
				t.Error("a purchase with a timestamp out of the window")
			}
			// The answer's Date tells how far the local clock is off.
			way, off := "ahead of", skew
			if skew < 0 {
				way, off = "behind", -skew
			}
			m := regexp.MustCompile(`the local clock is ([0-9ms]+) ` + way + ` the API's`).FindStringSubmatch(fmt.Sprint(err))
			if m == nil {
				t.Fatalf("error %v does not say how far the local clock is %s the API's", err, way)
			}
			// The answer's Date has a resolution of a second.
			if d, perr := time.ParseDuration(m[1]); perr != nil || d < off-2*time.Second || d > off+2*time.Second {
				t.Errorf("error says the clock is %s %s, want about %s", m[1], way, off)
			}
		})
	}
	t.Run("inside the window", func(t *testing.T) {
		s := startSim(t, cvmsim.Config{Seed: 7}, nil, func(c *cvm.Config) {
			c.Now = func() time.Time { return time.Now().Add(-2 * time.Minute) }
		})
		if _, err := s.client.RunInstances(ctx, order("clock")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConformanceClientToken(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 8}, nil, nil)
	ctx := context.Background()
	first, err := s.client.RunInstances(ctx, with(order("tok-1"), "goodsNum", "3"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.client.RunInstances(ctx, with(order("tok-1"), "goodsNum", "3"))
	if err != nil {
		t.Fatalf("replay with the same token and parameters: %v", err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("replayed answer differs (-first +again):\n%s", diff)
	}
	if n := s.srv.PurchaseCount("tok-1"); n != 1 {
		t.Errorf("%d purchases with the token, want 1", n)
	}
	if n := len(s.srv.Instances()); n != 3 {
		t.Errorf("%d instances, want 3", n)
	}

	_, err = s.client.RunInstances(ctx, with(order("tok-1"), "goodsNum", "2"))
	wantAPIError(t, err, "InvalidParameter.IdempotentParameterMismatch", 4000, cvm.ClassUnknown)
	if n := len(s.srv.Instances()); n != 3 {
		t.Errorf("%d instances after a mismatched token, want 3", n)
	}
}

// TestConformanceDroppedAnswer: the simulator buys and then closes the connection. The client
// sees a retryable network error; the purchase exists; a retry with the same token gets the
// answer without buying again.
func TestConformanceDroppedAnswer(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 9, DropRate: 1}, nil, nil)
	ctx := context.Background()
	params := order("drop-1")
	_, err := s.client.RunInstances(ctx, params)
	var e *cvm.Error
	if !errors.As(err, &e) || e.Class != cvm.ClassRetryable || e.Err == nil || e.Code != 0 {
		t.Fatalf("error %#v, want a retryable network error", err)
	}
	if n := s.srv.PurchaseCount("drop-1"); n != 1 {
		t.Fatalf("the simulator recorded %d purchases with the token, want 1", n)
	}
	if err := s.srv.SetFaults(0, 0); err != nil {
		t.Fatal(err)
	}
	res, err := s.client.RunInstances(ctx, params)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	var simIDs []string
	for _, in := range s.srv.Instances() {
		simIDs = append(simIDs, in.ID)
	}
	if diff := cmp.Diff(simIDs, res.AllInstanceIDs()); diff != "" {
		t.Errorf("retry answer does not name the dropped purchase (-sim +answer):\n%s", diff)
	}
	if n := s.srv.PurchaseCount("drop-1"); n != 1 {
		t.Errorf("%d purchases after the retry, want 1", n)
	}
}

// TestConformanceTimeout: the simulator is slower than the client's request timeout.
func TestConformanceTimeout(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 10, Latency: time.Minute}, nil, func(c *cvm.Config) {
		c.RequestTimeout = 100 * time.Millisecond
	})
	_, err := s.client.RunInstances(context.Background(), order("slow-1"))
	if cvm.ClassOf(err) != cvm.ClassRetryable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a retryable timeout", err)
	}
}

func TestConformancePagination(t *testing.T) {
	s := startSim(t, cvmsim.Config{Seed: 11}, nil, nil)
	ctx := context.Background()
	for i, n := range []int{100, 100, 50} {
		if _, err := s.client.RunInstances(ctx, with(order(fmt.Sprintf("page-%d", i)), "goodsNum", strconv.Itoa(n))); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, in := range s.srv.Instances() {
		want = append(want, in.ID)
	}
	if len(want) != 250 {
		t.Fatalf("the simulator holds %d instances, want 250", len(want))
	}

	before := s.srv.RequestCount("DescribeInstances")
	got, err := s.client.DescribeInstances(ctx, cvm.DescribeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("described instances (-sim +client):\n%s", diff)
	}
	if n := s.srv.RequestCount("DescribeInstances") - before; n != 3 {
		t.Errorf("%d DescribeInstances requests for 250 instances, want 3", n)
	}

	// 250 ids in reverse order: three requests of at most 100 ids; the answers come in the
	// simulator's order within each request.
	rev := make([]string, len(want))
	for i, id := range want {
		rev[len(want)-1-i] = id
	}
	before = s.srv.RequestCount("DescribeInstances")
	got, err = s.client.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: rev})
	if err != nil {
		t.Fatal(err)
	}
	gotIDs := ids(got)
	sort.Strings(gotIDs)
	sortedWant := append([]string(nil), want...)
	sort.Strings(sortedWant)
	if diff := cmp.Diff(sortedWant, gotIDs); diff != "" {
		t.Errorf("described by id (-sim +client):\n%s", diff)
	}
	if n := s.srv.RequestCount("DescribeInstances") - before; n != 3 {
		t.Errorf("%d DescribeInstances requests for 250 ids, want 3", n)
	}

	zone := 100001
	got, err = s.client.DescribeInstances(ctx, cvm.DescribeFilter{ZoneID: zone})
	if err != nil || len(got) != 0 {
		t.Errorf("zone %d: got %d instances, %v; want none", zone, len(got), err)
	}
	project := 0
	got, err = s.client.DescribeInstances(ctx, cvm.DescribeFilter{ProjectID: &project, ZoneID: 100003})
	if err != nil || len(got) != 250 {
		t.Errorf("project 0 zone 100003: got %d instances, %v; want 250", len(got), err)
	}
}

func ids(list []cvm.Instance) []string {
	out := make([]string, 0, len(list))
	for _, in := range list {
		out = append(out, in.ID)
	}
	return out
}

// BenchmarkClientRunInstances measures the client buying from the simulator over loopback,
// one call at a time: signing, HTTP, the simulator's checks and the parsing of its answer.
func BenchmarkClientRunInstances(b *testing.B) {
	srv, err := cvmsim.New(cvmsim.Config{Seed: 12})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := cvm.New(cvm.Config{Endpoint: hs.URL + cvmsim.Path, SecretID: cvmsim.DemoSecretID,
		SecretKey: cvmsim.DemoSecretKey, Region: "gz"})
	if err != nil {
		b.Fatal(err)
	}
	params := order("")
	delete(params, "clientToken")
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.RunInstances(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConformanceContract runs the contract every Client honours against the real client
// talking to the simulator, bare and through the typed layer over the decorated transport,
// as the commands build it.
func TestConformanceContract(t *testing.T) {
	cvmtest.Contract(t, func(t *testing.T) cvmtest.Client {
		return startSim(t, cvmsim.Config{Seed: 13}, nil, nil).client
	})
	t.Run("decorated", func(t *testing.T) {
		cvmtest.Contract(t, func(t *testing.T) cvmtest.Client {
			c := startSim(t, cvmsim.Config{Seed: 13}, nil, nil).client
			return cvm.API{CVM: executor.WithRetry(executor.Detach(executor.WithRateLimit(c, 1000)), executor.RetryPolicy{})}
		})
	})
}
