package executor

import (
	"context"
	"sync"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// dupSpec is a fleet of one group of three instances, bought in one call.
const dupSpec = `
fleet "prod" {
  region = "ap-guangzhou"
}

group "web" {
  count         = 3
  instance_type = "CVM.S2"
  cpu           = 1
  mem           = 2
  image_id      = "img-31tjrtph"
  period        = 1
  zone_id       = 100003
  key_id        = "skey-3glfot13"
}
`

func dupFleet(t *testing.T) *spec.Fleet {
	t.Helper()
	f, diags := spec.Load([]spec.File{{Name: "main.fleet.hcl", Src: []byte(dupSpec)}}, spec.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return f
}

// planAndApply plans f against st and applies the plan through c, as fleet apply does.
func planAndApply(t *testing.T, f *spec.Fleet, st *state.State, c cvm.Transport) *Result {
	t.Helper()
	p := planner.Compute(f, st)
	if !p.Applyable() {
		t.Fatalf("plan is not applyable: %v", p.Diagnostics)
	}
	res, err := Apply(context.Background(), p, Options{Client: over(WithRetry(Detach(c), noSleep(3))), State: st, Journal: &fakeJournal{}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A call whose answer was lost (the purchase went through) is resumed by the next apply. When
// that apply runs with credentials the API refuses (a mistyped key, an expired temporary
// token), the refusal says nothing about the purchase made by the earlier attempt: the API
// checks the signature before it looks the client token up. Recording the batch as failed
// would make the next apply buy the group again under a new seq and a new token. The lookup
// of the call's name marker, refused alike, keeps the call pending.
func TestResumeRefusedByAuthStaysPending(t *testing.T) {
	sim, good := simClient(t, cvmsim.Config{})
	f := dupFleet(t)
	st := state.New(f.Name, f.Region)

	// Apply 1: every answer is lost after the purchase, and the lookup of the call's marker
	// before a resend is answered busy: the call stays pending.
	if err := sim.SetFaults(1, 1, "DescribeInstances"); err != nil {
		t.Fatal(err)
	}
	res := planAndApply(t, f, st, good)
	if res.Pending != 1 || len(sim.Instances()) != 3 {
		t.Fatalf("apply 1: %d pending, the simulator sold %d; want 1 pending and 3 sold", res.Pending, len(sim.Instances()))
	}
	if err := sim.SetFaults(0, 0); err != nil {
		t.Fatal(err)
	}

	// Apply 2: the same resumed call, signed with a key the API does not accept.
	bad, err := cvm.New(cvm.Config{Endpoint: good.Endpoint(), SecretID: cvmsim.DemoSecretID, SecretKey: "not-the-key", Region: "ap-guangzhou"})
	if err != nil {
		t.Fatal(err)
	}
	planAndApply(t, f, st, bad)
	if b := st.Groups["web"].Batch(0); b.Status != state.StatusPending {
		t.Errorf("after an auth refusal of the resumed call, batch web #0 is %s; want it still pending (its first attempt bought)", b.Status)
	}

	// Apply 3: good credentials again.
	planAndApply(t, f, st, good)
	if got := len(sim.Instances()); got != 3 {
		t.Errorf("the simulator sold %d instances for a group of 3: bought twice", got)
	}
}

// expiringClient passes the first attempt through and refuses every later one as credentials
// that expired meanwhile (temporary credentials have a lifetime; a long retry sequence can
// outlive it).
type expiringClient struct {
	typedClient
	mu    sync.Mutex
	calls int
}

func (c *expiringClient) RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error) {
	c.mu.Lock()
	c.calls++
	n := c.calls
	c.mu.Unlock()
	if n > 1 {
		return cvm.RunResult{}, apiError(cvm.ClassAuth, 4104, "AuthFailure.TokenFailure")
	}
	return c.typedClient.RunInstances(ctx, params)
}

// The first attempt of a call buys and loses its answer; the retry is refused because the
// temporary credentials expired. The refusal of the retry does not undo the purchase of the
// first attempt, yet the batch is recorded as failed and the next apply buys again.
func TestRefusalAfterLostAnswerStaysPending(t *testing.T) {
	f := dupFleet(t)
	st := state.New(f.Name, f.Region)
	cloud := newFake()
	cloud.answer = func(_ map[string]string, attempt int) (int, error) {
		if attempt == 1 {
			return -1, errLostAnswer
		}
		return -1, nil
	}

	planAndApply(t, f, st, wire(&expiringClient{typedClient: cloud}))
	if b := st.Groups["web"].Batch(0); b.Status == state.StatusFailed {
		t.Errorf("batch web #0 is failed after a lost answer and a refused retry; want pending (the first attempt bought)")
	}

	planAndApply(t, f, st, wire(cloud)) // fresh credentials
	if got := len(cloud.bought); got != 3 {
		t.Errorf("the cloud sold %d instances for a group of 3: bought twice", got)
	}
}

// The same as TestResumeRefusedByAuthStaysPending for a pending call whose instance name
// carries no marker, as every call journaled before markers existed: nothing is looked up,
// the resumed call is sent, refused for its signature, and recorded as failed.
func TestMarkerlessResumeRefusedByAuthStaysPending(t *testing.T) {
	markerlessResumeRefused(t, func(good *cvm.Client) (*cvm.Client, error) {
		return cvm.New(cvm.Config{Endpoint: good.Endpoint(), SecretID: cvmsim.DemoSecretID, SecretKey: "not-the-key", Region: "ap-guangzhou"})
	})
}

// The same with a refusal of the request's timestamp, which the API makes before it looks
// the token up too: a local clock two hours off.
func TestMarkerlessResumeRefusedByClockStaysPending(t *testing.T) {
	markerlessResumeRefused(t, func(good *cvm.Client) (*cvm.Client, error) {
		return cvm.New(cvm.Config{Endpoint: good.Endpoint(), SecretID: cvmsim.DemoSecretID, SecretKey: cvmsim.DemoSecretKey, Region: "ap-guangzhou",
			Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }})
	})
}

// markerlessResumeRefused runs the scenario of the tests above with the refusing client
// refused makes of the good one.
func markerlessResumeRefused(t *testing.T, refused func(good *cvm.Client) (*cvm.Client, error)) {
	t.Helper()
	sim, good := simClient(t, cvmsim.Config{})
	f := dupFleet(t)
	st := state.New(f.Name, f.Region)

	// Apply 1, as a release without markers made it: every answer is lost after the purchase.
	if err := sim.SetFaults(0, 1); err != nil {
		t.Fatal(err)
	}
	p := planner.Compute(f, st)
	for _, c := range p.Calls() {
		delete(c.Params, "instanceName")
		c.Marker = "" // no marker is recorded either: nothing can be looked up
		delete(c.Params, "clientToken")
		c.ClientToken = planner.Token(p.Fleet, p.Region, p.ProjectID, c.Group, c.Seq, c.Params)
		c.Params["clientToken"] = c.ClientToken
	}
	res, err := Apply(context.Background(), p, Options{Client: over(WithRetry(Detach(good), noSleep(3))), State: st, Journal: &fakeJournal{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending != 1 || len(sim.Instances()) != 3 {
		t.Fatalf("apply 1: %d pending, the simulator sold %d; want 1 pending and 3 sold", res.Pending, len(sim.Instances()))
	}
	if err := sim.SetFaults(0, 0); err != nil {
		t.Fatal(err)
	}

	bad, err := refused(good)
	if err != nil {
		t.Fatal(err)
	}
	planAndApply(t, f, st, bad)
	if b := st.Groups["web"].Batch(0); b.Status != state.StatusPending {
		t.Errorf("after a refusal of the resumed call, batch web #0 is %s; want it still pending (its first attempt bought)", b.Status)
	}

	planAndApply(t, f, st, good)
	if got := len(sim.Instances()); got != 3 {
		t.Errorf("the simulator sold %d instances for a group of 3: bought twice", got)
	}
}

// A plan that holds two calls of one group with the same seq (only a saved plan edited by
// hand or by another tool can) must not send both: the second record replaces the first in
// the state, and the first call's token, parameters and deal are forgotten.
func TestPlanWithDuplicateSeqSendsOne(t *testing.T) {
	f := newFixture()
	a, b := newCall("web", 5, 1), newCall("web", 5, 2)
	b.ClientToken = "prod-web-5-other"
	b.Params["clientToken"] = b.ClientToken
	// With one call in flight the second finds the first's pending record and is refused;
	// calls started together are prepared before either record reaches the state.
	if _, err := Apply(context.Background(), newPlan(a, b), f.opts(nil)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.client.sent); n != 1 {
		t.Errorf("sent %d calls with seq 5, want 1", n)
	}
	if got, want := len(f.state.Groups["web"].Batches), len(f.client.byToken); got != want {
		t.Errorf("the state records %d batches for %d purchases", got, want)
	}
}
