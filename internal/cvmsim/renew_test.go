package cvmsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// monthly is the monthly price in fen of one instance of runParams: CVM.S2, 2 cores, 4 GB.
const monthly = 2*3800 + 4*1300

// buy buys n instances of runParams with period months and returns their ids.
func (e *env) buy(n, period int) []string {
	e.t.Helper()
	a := e.call("RunInstances", with(runParams(), "goodsNum", strconv.Itoa(n), "period", strconv.Itoa(period)))
	wantOK(e.t, a)
	for _, ids := range a.UnInstanceIDs {
		return ids
	}
	e.t.Fatalf("no instance bought: %s", a.raw)
	return nil
}

// describe returns the DescribeInstances element of id.
func (e *env) describe(id string) instanceJSON {
	e.t.Helper()
	a := e.call("DescribeInstances", map[string]string{"instanceIds.0": id})
	wantOK(e.t, a)
	if len(a.InstanceSet) != 1 {
		e.t.Fatalf("DescribeInstances %s: %d instances: %s", id, len(a.InstanceSet), a.raw)
	}
	return a.InstanceSet[0]
}

// clockPost posts body to the clock route and returns the HTTP status and body.
func (e *env) clockPost(body string) (int, string) {
	e.t.Helper()
	resp, err := e.srv.Client().Post(e.srv.URL+ClockPath, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDeadlineAndFlagInDescribe(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.buy(1, 2)[0]
	got := e.describe(id)
	// Bought 2026-03-01 10:00 UTC, 18:00 in Beijing; two months later.
	if got.DeadlineTime != "2026-05-01 18:00:00" || got.AutoRenew != 0 || got.Status != StatusRunning {
		t.Errorf("deadline %q, autoRenew %d, status %d; want 2026-05-01 18:00:00, 0, 2", got.DeadlineTime, got.AutoRenew, got.Status)
	}
	a := e.call("SetAutoRenew", map[string]string{"instanceType": "1", "instanceIds.0": id, "autoRenew": "1"})
	wantOK(t, a)
	if d := a.Detail[id]; d.Code != 0 || d.CodeDesc != NameSuccess || d.RequestID == "" {
		t.Errorf("detail %+v", a.Detail)
	}
	if got := e.describe(id); got.AutoRenew != 1 {
		t.Errorf("autoRenew %d after SetAutoRenew 1", got.AutoRenew)
	}
}

func TestClockRoute(t *testing.T) {
	e := newEnv(t, Config{Start: time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC)})
	start := e.sim.Now()
	code, body := e.clockPost(`{"advance":"240h"}`)
	if code != http.StatusOK {
		t.Fatalf("advance: HTTP %d %s", code, body)
	}
	var c clockJSON
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	if want := start.Add(240 * time.Hour); !e.sim.Now().Equal(want) || c.Now != want.Format(time.RFC3339) {
		t.Errorf("after advance: %s, answer %s; want %s", e.sim.Now(), body, want)
	}
	// A fixed clock does not move with the wall clock.
	e.clock.Add(time.Hour)
	if want := start.Add(240 * time.Hour); !e.sim.Now().Equal(want) {
		t.Errorf("fixed clock moved: %s", e.sim.Now())
	}
	code, body = e.clockPost(`{"now":"2026-03-01T00:00:00+08:00"}`)
	if code != http.StatusOK || !e.sim.Now().Equal(time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("set now: HTTP %d %s, clock %s", code, body, e.sim.Now())
	}
	resp, err := e.srv.Client().Get(e.srv.URL + ClockPath)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"now":"2026-02-28T16:00:00Z"`) {
		t.Errorf("GET clock: %s", b)
	}
	for _, bad := range []string{`{"now":"2026-01-01T00:00:00Z"}`, `{"advance":"-1h"}`, `{"advance":"soon"}`, `{}`,
		`{"advance":"1h","now":"2027-01-01T00:00:00Z"}`, `{"speed":2}`, `not json`} {
		if code, body := e.clockPost(bad); code != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d %s, want 400", bad, code, body)
		}
	}
	// Only loopback clients.
	r := httptest.NewRequest(http.MethodPost, "http://example.com"+ClockPath, strings.NewReader(`{"advance":"1h"}`))
	r.RemoteAddr = "192.0.2.1:4000"
	rec := httptest.NewRecorder()
	e.sim.ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Errorf("remote client: HTTP %d", rec.Code)
	}
	// The clock is not an action of the signed API.
	wantErr(t, e.call("SetClock", map[string]string{"now": "2030-01-01T00:00:00Z"}), CodeUnsupported, NameActionNotFound)
}

func TestExpiryOverTime(t *testing.T) {
	e := newEnv(t, Config{})
	ids := e.buy(3, 1)
	auto, notify, never := ids[0], ids[1], ids[2]
	for id, flag := range map[string]string{auto: "1", never: "2"} {
		wantOK(t, e.call("SetAutoRenew", map[string]string{"instanceIds.0": id, "autoRenew": flag}))
	}
	if err := e.sim.SetBalance(monthly + 1); err != nil {
		t.Fatal(err)
	}
	// 2026-04-01 18:00 in Beijing is the deadline; one second before it nothing happens.
	if err := e.sim.Advance(31*24*time.Hour - time.Second); err != nil {
		t.Fatal(err)
	}
	if st := e.describe(notify).Status; st != StatusRunning {
		t.Errorf("before the deadline: status %d", st)
	}
	wantOK(t, e.call("RenewInstance", map[string]string{"instanceId": notify, "period": "1"}))
	if err := e.sim.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	// The renewal above took the balance: the auto-renewal is short and the instance lapses.
	if got := e.describe(auto); got.Status != StatusIsolated || got.DeadlineTime != "2026-04-01 18:00:00" {
		t.Errorf("auto, balance short: status %d, deadline %s", got.Status, got.DeadlineTime)
	}
	if got := e.describe(never); got.Status != StatusIsolated {
		t.Errorf("never: status %d", got.Status)
	}
	if got := e.describe(notify); got.Status != StatusRunning || got.DeadlineTime != "2026-05-01 18:00:00" {
		t.Errorf("renewed: status %d, deadline %s", got.Status, got.DeadlineTime)
	}
	// Renewing an isolated instance runs it again, from its old deadline.
	if err := e.sim.SetBalance(Unlimited); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.call("RenewInstance", map[string]string{"instanceId": auto, "period": "2"}))
	if got := e.describe(auto); got.Status != StatusRunning || got.DeadlineTime != "2026-06-01 18:00:00" || got.AutoRenew != 1 {
		t.Errorf("auto renewed while isolated: %+v", got)
	}
	// Seven days after its deadline, the isolated instance is released.
	if err := e.sim.Advance(IsolationPeriod - time.Second); err != nil {
		t.Fatal(err)
	}
	if st := e.describe(never).Status; st != StatusIsolated {
		t.Errorf("within isolation: status %d", st)
	}
	e.clockPost(`{"advance":"1s"}`)
	got := e.describe(never)
	if got.Status != StatusReturned || got.StatusTime != "2026-04-08 18:00:00" {
		t.Errorf("after isolation: status %d at %s", got.Status, got.StatusTime)
	}
	wantErr(t, e.call("RenewInstance", map[string]string{"instanceId": never, "period": "1"}), CodeOpFailed, NameInstanceStatus)

	// With the balance, flag 1 renews one month at each deadline, charged.
	if err := e.sim.SetBalance(3 * monthly); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetClock(time.Date(2026, 7, 15, 0, 0, 0, 0, beijing)); err != nil {
		t.Fatal(err)
	}
	got = e.describe(auto)
	if got.Status != StatusRunning || got.DeadlineTime != "2026-08-01 18:00:00" ||
		e.sim.AutoRenewalCount(auto) != 2 || e.sim.Balance() != monthly {
		t.Errorf("auto-renewed: %s status %d, %d auto-renewals, balance %d", got.DeadlineTime, got.Status, e.sim.AutoRenewalCount(auto), e.sim.Balance())
	}
	if err := e.sim.SetClock(time.Date(2026, 9, 2, 0, 0, 0, 0, beijing)); err != nil {
		t.Fatal(err)
	}
	if got := e.describe(auto); got.DeadlineTime != "2026-09-01 18:00:00" || e.sim.Balance() != 0 {
		t.Errorf("third auto-renewal: %s, balance %d", got.DeadlineTime, e.sim.Balance())
	}
	if err := e.sim.Advance(3 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := e.describe(auto); got.Status != StatusIsolated || e.sim.AutoRenewalCount(auto) != 3 {
		t.Errorf("balance spent: status %d, %d auto-renewals", got.Status, e.sim.AutoRenewalCount(auto))
	}
	if e.sim.RenewalCount(auto) != 1 || e.sim.RenewalCount(notify) != 1 || e.sim.RenewalCount(never) != 0 {
		t.Errorf("renewal counts %d %d %d", e.sim.RenewalCount(auto), e.sim.RenewalCount(notify), e.sim.RenewalCount(never))
	}
}

func TestRenewInstance(t *testing.T) {
	e := newEnv(t, Config{BalanceFen: 10 * monthly})
	id := e.buy(1, 1)[0]
	if b := e.sim.Balance(); b != 9*monthly {
		t.Fatalf("balance after the purchase %d", b)
	}
	a := e.call("RenewInstance", map[string]string{"instanceId": id, "period": "3"})
	wantOK(t, a)
	if a.DealID == "" || e.sim.RenewalCount(id) != 1 || e.sim.Balance() != 6*monthly {
		t.Errorf("deal %q, %d renewals, balance %d", a.DealID, e.sim.RenewalCount(id), e.sim.Balance())
	}
	if got := e.describe(id).DeadlineTime; got != "2026-07-01 18:00:00" {
		t.Errorf("deadline %s, want 2026-07-01 18:00:00", got)
	}
	for _, c := range []struct {
		name   string
		params map[string]string
		code   int
		desc   string
	}{
		{"balance", map[string]string{"instanceId": id, "period": "7"}, CodeBalance, NameBalanceNotEnough},
		{"no id", map[string]string{"period": "1"}, CodeParameter, NameMissingParameter},
		{"no period", map[string]string{"instanceId": id}, CodeParameter, NameMissingParameter},
		{"period 37", map[string]string{"instanceId": id, "period": "37"}, CodeParameter, NamePeriod},
		{"period 0", map[string]string{"instanceId": id, "period": "0"}, CodeParameter, NamePeriod},
		{"unknown", map[string]string{"instanceId": "ins-zzzzzzzz", "period": "1"}, CodeNotFound, NameResourceNotFound},
		{"other region", map[string]string{"instanceId": id, "period": "1", "Region": "ap-shanghai"}, CodeNotFound, NameResourceNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, e.call("RenewInstance", c.params), c.code, c.desc)
		})
	}
	if e.sim.RenewalCount(id) != 1 || e.sim.Balance() != 6*monthly {
		t.Errorf("refusals changed something: %d renewals, balance %d", e.sim.RenewalCount(id), e.sim.Balance())
	}
	if err := e.sim.SetStatus(id, StatusReturned); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.call("RenewInstance", map[string]string{"instanceId": id, "period": "1"}), CodeOpFailed, NameInstanceStatus)

	// A renewal in the console moves the deadline without counting as a RenewInstance deal.
	other := e.buy(1, 1)[0]
	if err := e.sim.RenewInConsole(other, 2); err != nil {
		t.Fatal(err)
	}
	if got := e.describe(other).DeadlineTime; got != "2026-06-01 18:00:00" || e.sim.RenewalCount(other) != 0 {
		t.Errorf("console renewal: %s, %d renewals", got, e.sim.RenewalCount(other))
	}
}

func TestRenewFaults(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.buy(1, 1)[0]
	if err := e.sim.SetFaults(1, 0, "RenewInstance"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.call("RenewInstance", map[string]string{"instanceId": id, "period": "1"}), CodeBusy, NameSystemBusy)
	wantOK(t, e.call("DescribeInstances", nil))
	if e.sim.RenewalCount(id) != 0 {
		t.Errorf("busy renewal renewed")
	}
	if err := e.sim.SetFaults(0, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetDropActions("RenewInstance", "SetAutoRenew"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.do(req{sigMethod: "HmacSHA256"}, "RenewInstance", map[string]string{"instanceId": id, "period": "1"}); err == nil {
		t.Fatal("dropped renewal answered")
	}
	if e.sim.RenewalCount(id) != 1 || e.describe(id).DeadlineTime != "2026-05-01 18:00:00" {
		t.Errorf("dropped renewal: %d renewals, deadline %s", e.sim.RenewalCount(id), e.describe(id).DeadlineTime)
	}
	if _, err := e.do(req{sigMethod: "HmacSHA256"}, "SetAutoRenew", map[string]string{"instanceIds.0": id, "autoRenew": "2"}); err == nil {
		t.Fatal("dropped SetAutoRenew answered")
	}
	if e.describe(id).AutoRenew != 2 {
		t.Errorf("dropped SetAutoRenew did not set the flag")
	}
	// Purchases are answered: only the actions named drop.
	e.buy(1, 1)
	if err := e.sim.SetDropActions("Nope"); err == nil {
		t.Error("unknown drop action accepted")
	}
	if _, err := New(Config{DropActions: []string{"Nope"}}); err == nil {
		t.Error("Config.DropActions: unknown action accepted")
	}
}

func TestSetAutoRenewBatch(t *testing.T) {
	e := newEnv(t, Config{})
	ids := e.buy(3, 1)
	if err := e.sim.SetStatus(ids[2], StatusReturned); err != nil {
		t.Fatal(err)
	}
	p := map[string]string{"instanceType": "1", "autoRenew": "2",
		"instanceIds.0": ids[0], "instanceIds.1": ids[1], "instanceIds.2": ids[2], "instanceIds.3": "ins-zzzzzzzz"}
	a := e.call("SetAutoRenew", p)
	wantErr(t, a, CodePartial, NamePartFailed)
	want := map[string]int{ids[0]: 0, ids[1]: 0, ids[2]: CodeOpFailed, "ins-zzzzzzzz": CodeNotFound}
	if len(a.Detail) != 4 {
		t.Fatalf("detail %s", a.raw)
	}
	for id, code := range want {
		if a.Detail[id].Code != code {
			t.Errorf("%s: code %d, want %d (%s)", id, a.Detail[id].Code, code, a.raw)
		}
	}
	if e.describe(ids[0]).AutoRenew != 2 || e.describe(ids[1]).AutoRenew != 2 {
		t.Errorf("flags not set")
	}
	a = e.call("SetAutoRenew", map[string]string{"instanceIds.0": "ins-zzzzzzzz", "autoRenew": "1"})
	wantErr(t, a, CodeOpFailed, NameAllFailed)
	if a.Detail["ins-zzzzzzzz"].CodeDesc != NameResourceNotFound {
		t.Errorf("detail %s", a.raw)
	}
	many := map[string]string{"autoRenew": "1"}
	for i := 0; i < 101; i++ {
		many[fmt.Sprintf("instanceIds.%d", i)] = ids[0]
	}
	wantErr(t, e.call("SetAutoRenew", many), CodeParameter, NameTooManyInstances)
	wantErr(t, e.call("SetAutoRenew", with(p, "autoRenew", "3")), CodeParameter, NameAutoRenew)
	wantErr(t, e.call("SetAutoRenew", with(p, "autoRenew", "")), CodeParameter, NameMissingParameter)
	wantErr(t, e.call("SetAutoRenew", with(p, "instanceType", "2")), CodeParameter, NameInstanceType)
	wantErr(t, e.call("SetAutoRenew", map[string]string{"autoRenew": "1"}), CodeParameter, NameMissingParameter)
	// The trade module is global: no Region needed.
	wantOK(t, e.call("SetAutoRenew", map[string]string{"instanceIds.0": ids[0], "autoRenew": "0", "Region": ""}))
}

func TestRenewalPrice(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.buy(1, 1)[0]
	a := e.call("InquiryInstancePrice", map[string]string{"instanceType": "1", "instanceId": id, "period": "12"})
	wantOK(t, a)
	if a.Price != 12*monthly {
		t.Errorf("renewal price %d, want %d", a.Price, 12*monthly)
	}
	wantErr(t, e.call("InquiryInstancePrice", map[string]string{"instanceType": "1", "instanceId": "ins-zzzzzzzz", "period": "1"}), CodeNotFound, NameResourceNotFound)
	wantErr(t, e.call("InquiryInstancePrice", map[string]string{"instanceType": "1", "instanceId": id, "period": "37"}), CodeParameter, NamePeriod)
	wantErr(t, e.call("InquiryInstancePrice", map[string]string{"instanceType": "1", "instanceId": id}), CodeParameter, NameMissingParameter)
	if e.sim.RenewalCount(id) != 0 {
		t.Error("a price inquiry renewed")
	}
}

func TestRenewalsKeptInDataFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	c := newClock()
	sim, err := New(Config{DataPath: path, Now: c.Now, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sim: sim, srv: httptest.NewServer(sim), clock: c}
	e.nonce.Store(1)
	id := e.buy(1, 1)[0]
	wantOK(t, e.call("RenewInstance", map[string]string{"instanceId": id, "period": "2"}))
	wantOK(t, e.call("SetAutoRenew", map[string]string{"instanceIds.0": id, "autoRenew": "1"}))
	e.srv.Close()
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := New(Config{DataPath: path, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	in, ok := again.Instance(id)
	if !ok || in.AutoRenew != 1 || again.RenewalCount(id) != 1 || !in.Deadline.Equal(time.Date(2026, 6, 1, 18, 0, 0, 0, beijing)) {
		t.Errorf("reloaded: %+v", in)
	}
}
