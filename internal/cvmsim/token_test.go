package cvmsim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenReplayAndMismatch(t *testing.T) {
	e := newEnv(t, Config{BalanceFen: 1000000})
	p := with(runParams(), "clientToken", "fleet-prod-web-0-abc", "goodsNum", "2")
	first := e.call("RunInstances", p)
	wantOK(t, first)
	balance := e.sim.Balance()
	// The same call with a fresh Nonce and Timestamp, signed with the other method: the same
	// answer, nothing bought.
	e.clock.Add(time.Minute)
	again, err := e.do(req{method: "GET", sigMethod: "HmacSHA1"}, "RunInstances", p)
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, again)
	if again.raw != first.raw {
		t.Errorf("replay answer differs:\n got %s\nwant %s", again.raw, first.raw)
	}
	if n := len(e.sim.Instances()); n != 2 {
		t.Errorf("instances after replay: got %d, want 2", n)
	}
	if got := e.sim.PurchaseCount("fleet-prod-web-0-abc"); got != 1 {
		t.Errorf("PurchaseCount: got %d, want 1", got)
	}
	if got := e.sim.Balance(); got != balance {
		t.Errorf("balance charged again by a replay: %d -> %d", balance, got)
	}
	// The same token with other parameters.
	for _, change := range [][]string{{"goodsNum", "3"}, {"period", "2"}, {"password", "abcd1234"}, {"instanceName", "other"}, {"Region", "gz"}} {
		a := e.call("RunInstances", with(p, change...))
		wantErr(t, a, CodeParameter, NameTokenMismatch)
	}
	if n := len(e.sim.Instances()); n != 2 {
		t.Errorf("instances after mismatches: got %d, want 2", n)
	}
}

func TestTokenNotRecordedOnFailure(t *testing.T) {
	e := newEnv(t, Config{BalanceFen: 1})
	p := with(runParams(), "clientToken", "tok-balance")
	wantErr(t, e.call("RunInstances", p), CodeBalance, NameBalanceNotEnough)
	if err := e.sim.SetBalance(Unlimited); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.call("RunInstances", p))
	if got := e.sim.PurchaseCount("tok-balance"); got != 1 {
		t.Errorf("PurchaseCount: got %d, want 1", got)
	}
}

func TestTokenAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "sim.json")
	p := with(runParams(), "clientToken", "tok-restart", "password", "Pa55word!")
	var first answer
	{
		e := newEnv(t, Config{DataPath: data, BalanceFen: 500000})
		first = e.call("RunInstances", p)
		wantOK(t, first)
		e.srv.Close()
		if err := e.sim.Close(); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "Pa55word") {
		t.Fatal("the data file holds the password")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files in the data directory: got %d, want only the data file", len(entries))
	}
	e := newEnv(t, Config{DataPath: data, BalanceFen: 999999999})
	again := e.call("RunInstances", p)
	wantOK(t, again)
	if again.raw != first.raw {
		t.Errorf("replay after restart differs:\n got %s\nwant %s", again.raw, first.raw)
	}
	wantErr(t, e.call("RunInstances", with(p, "goodsNum", "2")), CodeParameter, NameTokenMismatch)
	if got := e.sim.PurchaseCount("tok-restart"); got != 1 {
		t.Errorf("PurchaseCount after restart: got %d, want 1", got)
	}
	// The balance of the file wins over the configured one, which only starts a new file.
	if got := e.sim.Balance(); got != 500000-12800 {
		t.Errorf("balance after restart: got %d, want %d", got, 500000-12800)
	}
	// A new purchase after the restart gets a new deal id.
	a := e.call("RunInstances", runParams())
	wantOK(t, a)
	if a.DealIDs[0] == first.DealIDs[0] {
		t.Errorf("deal id %d reused after restart", a.DealIDs[0])
	}
}

func TestTokenTTL(t *testing.T) {
	e := newEnv(t, Config{TokenTTL: time.Hour})
	p := with(runParams(), "clientToken", "tok-ttl")
	first := e.call("RunInstances", p)
	wantOK(t, first)
	e.clock.Add(59 * time.Minute)
	if a := e.call("RunInstances", p); a.raw != first.raw {
		t.Errorf("replay within the TTL differs: %s", a.raw)
	}
	if got := e.sim.Tokens(); len(got) != 1 {
		t.Errorf("Tokens within the TTL: %v", got)
	}
	e.clock.Add(time.Minute)
	if got := e.sim.Tokens(); len(got) != 0 {
		t.Errorf("Tokens after the TTL: %v", got)
	}
	second := e.call("RunInstances", p)
	wantOK(t, second)
	if second.DealIDs[0] == first.DealIDs[0] {
		t.Error("a forgotten token replayed the old answer")
	}
	if got := e.sim.PurchaseCount("tok-ttl"); got != 2 {
		t.Errorf("PurchaseCount after the TTL: got %d, want 2", got)
	}
	if n := len(e.sim.Instances()); n != 2 {
		t.Errorf("instances: got %d, want 2 (the first stays)", n)
	}
}

func TestConcurrentSameToken(t *testing.T) {
	e := newEnv(t, Config{})
	p := with(runParams(), "clientToken", "tok-race", "goodsNum", "3")
	var wg sync.WaitGroup
	answers := make([]answer, 16)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := e.do(req{sigMethod: "HmacSHA256"}, "RunInstances", p)
			if err != nil {
				t.Error(err)
			}
			answers[i] = a
		}()
	}
	wg.Wait()
	for _, a := range answers[1:] {
		if a.raw != answers[0].raw {
			t.Errorf("concurrent calls with one token answered differently: %s vs %s", a.raw, answers[0].raw)
		}
	}
	if got := e.sim.PurchaseCount("tok-race"); got != 1 {
		t.Errorf("PurchaseCount: got %d, want 1", got)
	}
	if n := len(e.sim.Instances()); n != 3 {
		t.Errorf("instances: got %d, want 3", n)
	}
}

func TestBusy(t *testing.T) {
	e := newEnv(t, Config{BusyRate: 1})
	for _, action := range []string{"RunInstances", "DescribeInstances", "InquiryInstancePrice"} {
		wantErr(t, e.call(action, with(runParams(), "clientToken", "tok-busy")), CodeBusy, NameSystemBusy)
	}
	if n := len(e.sim.Instances()); n != 0 {
		t.Errorf("a busy answer bought %d instances", n)
	}
	if err := e.sim.SetFaults(0, 0); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.call("RunInstances", with(runParams(), "clientToken", "tok-busy")))
}

func TestBusyRateIsPartial(t *testing.T) {
	e := newEnv(t, Config{BusyRate: 0.5, Seed: 3})
	busy := 0
	for range 40 {
		if a := e.call("DescribeInstances", nil); a.Code == CodeBusy {
			busy++
		}
	}
	if busy == 0 || busy == 40 {
		t.Errorf("busy answers with rate 0.5: got %d of 40", busy)
	}
}

func TestDrop(t *testing.T) {
	e := newEnv(t, Config{DropRate: 1})
	p := with(runParams(), "clientToken", "tok-drop", "goodsNum", "2")
	_, err := e.do(req{sigMethod: "HmacSHA256"}, "RunInstances", p)
	if err == nil {
		t.Fatal("dropped answer: got an answer, want a transport error")
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isConnReset(err) {
		t.Errorf("dropped answer: got %v, want EOF or connection reset", err)
	}
	if got := e.sim.PurchaseCount("tok-drop"); got != 1 {
		t.Fatalf("the dropped purchase was not made: PurchaseCount %d", got)
	}
	// Describe answers are never dropped.
	wantOK(t, e.call("DescribeInstances", nil))
	// The retry with the same token gets the answer of the first purchase.
	if err := e.sim.SetFaults(0, 0); err != nil {
		t.Fatal(err)
	}
	a := e.call("RunInstances", p)
	wantOK(t, a)
	if got := len(a.UnInstanceIDs[fmt.Sprint(a.DealIDs[0])]); got != 2 {
		t.Errorf("replay after a drop: %d ids, want 2", got)
	}
	if got := e.sim.PurchaseCount("tok-drop"); got != 1 {
		t.Errorf("PurchaseCount after the retry: got %d, want 1", got)
	}
}

func isConnReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) || strings.Contains(err.Error(), "connection reset")
}

func TestLatencyAndJitter(t *testing.T) {
	e := newEnv(t, Config{Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: 9})
	wantOK(t, e.call("DescribeInstances", nil))
	// Jitter draws from the seeded generator: two simulators with one seed draw alike.
	a, _ := New(Config{Latency: time.Second, Jitter: time.Second, Seed: 11})
	b, _ := New(Config{Latency: time.Second, Jitter: time.Second, Seed: 11})
	for range 5 {
		da, db := a.delay(), b.delay()
		if da != db || da < time.Second || da >= 2*time.Second {
			t.Fatalf("delays %v and %v: want equal, in [1s, 2s)", da, db)
		}
	}
}

func TestSaveFailureAnswersInternalError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{DataPath: filepath.Join(dir, "sim.json")})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	p := with(runParams(), "clientToken", "tok-save")
	wantErr(t, e.call("RunInstances", p), CodeBusy, NameInternalError)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The retry with the token gets the purchase that was made, now on disk.
	a := e.call("RunInstances", p)
	wantOK(t, a)
	if got := e.sim.PurchaseCount("tok-save"); got != 1 {
		t.Errorf("PurchaseCount: got %d, want 1", got)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sim.json")); err != nil || !strings.Contains(string(b), "tok-save") {
		t.Errorf("data file after the retry: %v", err)
	}
}

// TestAnswerDelay: a client that gives up while the answer is held has bought all the same,
// and a retry with its token gets the first answer without buying again.
func TestAnswerDelay(t *testing.T) {
	e := newEnv(t, Config{AnswerDelay: 2 * time.Second})
	p := with(runParams(), "clientToken", "tok-held", "goodsNum", "2")
	e.srv.Client().Timeout = 100 * time.Millisecond
	if _, err := e.do(req{sigMethod: "HmacSHA256"}, "RunInstances", p); err == nil {
		t.Fatal("held answer: got an answer within the client's timeout, want a transport error")
	}
	if got := e.sim.PurchaseCount("tok-held"); got != 1 {
		t.Fatalf("PurchaseCount %d, want 1: the request took effect before its answer was held", got)
	}
	e.srv.Client().Timeout = 0
	a := e.call("RunInstances", p)
	wantOK(t, a)
	if got := e.sim.PurchaseCount("tok-held"); got != 1 {
		t.Errorf("PurchaseCount after the retry: %d, want 1", got)
	}
	if len(e.sim.Instances()) != 2 {
		t.Errorf("%d instances, want 2", len(e.sim.Instances()))
	}
}
