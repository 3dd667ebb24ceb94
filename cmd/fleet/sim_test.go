package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
)

// simConfigOf parses args as the flags of `fleet sim` and returns the configuration they make.
func simConfigOf(args ...string) (cvmsim.Config, error) {
	o := &simOptions{}
	if err := newSimCmd(o).ParseFlags(args); err != nil {
		return cvmsim.Config{}, err
	}
	return o.config()
}

func TestSimFlags(t *testing.T) {
	cfg, err := simConfigOf()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SecretID != cvmsim.DemoSecretID || cfg.SecretKey != cvmsim.DemoSecretKey || cfg.BalanceFen != 0 || cfg.Quota != 0 {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = simConfigOf("--listen", "[::1]:0", "--data", "d.json", "--secret-id", "AKIDx", "--secret-key", "k",
		"--seed", "5", "--latency", "20ms", "--jitter", "5ms", "--busy-rate", "0.25", "--drop-rate", "0.5",
		"--fail-rate", "0.1", "--quota", "40", "--balance", "123456", "--create-delay", "3s", "--token-ttl", "1h",
		"--vpc", "vpc-aaaa1111:subnet-bbbb2222@100003=10.0.1.0/24", "--vpc", "vpc-cccc3333:subnet-dddd4444@100004=10.0.2.0/24,subnet-eeee5555@100003=10.0.3.0/24",
		"--windows-image", "img-win00001", "--windows-image", "img-win00002")
	if err != nil {
		t.Fatal(err)
	}
	want := cvmsim.Config{
		SecretID: "AKIDx", SecretKey: "k", Seed: 5, Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond,
		BusyRate: 0.25, DropRate: 0.5, FailRate: 0.1, Quota: 40, BalanceFen: 123456, CreateDelay: 3 * time.Second,
		TokenTTL: time.Hour, DataPath: "d.json", WindowsImages: []string{"img-win00001", "img-win00002"},
		VPCs: []cvmsim.VPC{
			{ID: "vpc-aaaa1111", Subnets: []cvmsim.Subnet{{ID: "subnet-bbbb2222", ZoneID: 100003, CIDR: "10.0.1.0/24"}}},
			{ID: "vpc-cccc3333", Subnets: []cvmsim.Subnet{
				{ID: "subnet-dddd4444", ZoneID: 100004, CIDR: "10.0.2.0/24"},
				{ID: "subnet-eeee5555", ZoneID: 100003, CIDR: "10.0.3.0/24"}}},
		},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}

	// --fixtures adds its networks to those of --vpc, its balance when --balance gives none.
	cfg, err = simConfigOf("--fixtures", "../../examples/web-tier/sim-fixtures.json",
		"--vpc", "vpc-aaaa1111:subnet-bbbb2222@100003=10.0.1.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.VPCs) != 2 || cfg.VPCs[1].ID != "vpc-2ari9m7h" || len(cfg.VPCs[1].Subnets) != 2 || cfg.BalanceFen == 0 {
		t.Errorf("--fixtures: vpcs %+v, balance %d", cfg.VPCs, cfg.BalanceFen)
	}
	if cfg, err = simConfigOf("--fixtures", "../../examples/web-tier/sim-fixtures.json", "--balance", "7"); err != nil || cfg.BalanceFen != 7 {
		t.Errorf("--fixtures with --balance 7: balance %d, error %v", cfg.BalanceFen, err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--fixtures", "missing.json"}, "--fixtures: open missing.json"},
		{[]string{"--listen", "0.0.0.0:0"}, "loopback addresses only"},
		{[]string{"--listen", "192.168.1.5:8080"}, "loopback addresses only"},
		{[]string{"--listen", "example.com:80"}, "loopback addresses only"},
		{[]string{"--listen", "127.0.0.1"}, "want HOST:PORT"},
		{[]string{"--vpc", "vpc-a"}, "--vpc"},
		{[]string{"--vpc", "vpc-a:subnet-b@x=10.0.0.0/24"}, "not a number"},
		{[]string{"--secret-key", ""}, "must not be empty"},
		{[]string{"--latency", "soon"}, "invalid argument"},
		{[]string{"--now", "tomorrow"}, `--now "tomorrow": want an RFC 3339 time`},
		{[]string{"--drop-action", "Nope"}, `drop action "Nope"`},
	} {
		if _, err := simConfigOf(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got error %v, want one containing %q", c.args, err, c.want)
		}
	}
	for _, ok := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0", "127.0.0.2:9000"} {
		if _, err := simConfigOf("--listen", ok); err != nil {
			t.Errorf("--listen %s: %v", ok, err)
		}
	}
}

// TestSimClockFlags: --now fixes the simulated clock, --drop-action names the actions whose
// answers --drop-rate drops, and the clock route of the served simulator moves the clock.
func TestSimClockFlags(t *testing.T) {
	cfg, err := simConfigOf("--now", "2026-03-01T10:00:00+08:00", "--drop-action", "RenewInstance", "--drop-action", "SetAutoRenew")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC); !cfg.Start.Equal(want) {
		t.Errorf("--now: start %s, want %s", cfg.Start, want)
	}
	if diff := cmp.Diff([]string{"RenewInstance", "SetAutoRenew"}, cfg.DropActions); diff != "" {
		t.Errorf("--drop-action (-want +got):\n%s", diff)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runSim(ctx, "127.0.0.1:0", cfg, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = cvmsim.ClockPath
	resp, err := http.Post(u.String(), "application/json", strings.NewReader(`{"advance":"240h"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"now":"2026-03-11T10:00:00+08:00"`) {
		t.Errorf("clock route: HTTP %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runSim: %v", err)
	}
}

func TestSimCommandErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "--listen", "0.0.0.0:0"}, "loopback addresses only"},
		{[]string{"sim", "--busy-rate", "2"}, "busy rate 2"},
		{[]string{"sim", "extra"}, "unknown command"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, strings.NewReader(""), &stdout, &stderr)
		if code != exitError || !strings.Contains(stderr.String(), c.want) || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.args, code, stdout.String(), stderr.String(), c.want)
		}
	}
}

func TestSimHelpShowsDemoCredentials(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"sim", "--help"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{cvmsim.DemoSecretID, cvmsim.DemoSecretKey, "--token-ttl", "--drop-rate", "--vpc"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help does not show %q", want)
		}
	}
}

// TestRunSim serves the simulator as the command does: the first line of stdout is the
// endpoint, a signed purchase works, and stopping writes the data file.
func TestRunSim(t *testing.T) {
	data := filepath.Join(t.TempDir(), "sim.json")
	cfg, err := simConfigOf("--data", data, "--seed", "3", "--verbose")
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	var stderr simLogBuffer
	cfg.Log = &stderr
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runSim(ctx, "127.0.0.1:0", cfg, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	endpoint := strings.TrimSpace(line)
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != cvmsim.Path {
		t.Fatalf("first line %q: want http://127.0.0.1:PORT%s", line, cvmsim.Path)
	}
	form := signedPurchase(u.Hostname(), "4242", "sim-cmd-1", "password", "SuperSecret99")
	resp, err := http.Post(endpoint, "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"code":0`) {
		t.Fatalf("purchase: %s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runSim: %v", err)
	}
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"client_token": "sim-cmd-1"`) {
		t.Errorf("data file after stop lacks the purchase: %s", b)
	}
	log := stderr.String()
	if !strings.Contains(log, "RunInstances code=0 Success clientToken=sim-cmd-1") {
		t.Errorf("verbose log lacks the request line: %q", log)
	}
	if strings.Contains(log, "SuperSecret99") || strings.Contains(string(b), "SuperSecret99") {
		t.Error("the password reached the log or the data file")
	}
}

// signedPurchase returns the form body of a RunInstances purchase of one instance with the
// nonce and clientToken, plus the extra parameters (name, value, ...), signed with the demo
// key for a POST to host.
func signedPurchase(host, nonce, token string, extra ...string) string {
	p := map[string]string{
		"Action": "RunInstances", "Region": "gz", "SecretId": cvmsim.DemoSecretID, "SignatureMethod": "HmacSHA256",
		"Nonce": nonce, "Timestamp": strconv.FormatInt(time.Now().Unix(), 10),
		"cpu": "1", "mem": "1", "imageId": "img-lkxqa4kj", "period": "1", "storageSize": "0", "clientToken": token,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	p["Signature"] = cvm.Sign(cvm.StringToSign("POST", host, cvmsim.Path, p), cvmsim.DemoSecretKey, "HmacSHA256")
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	return form.Encode()
}

// simLogBuffer is a bytes.Buffer safe for the simulator's concurrent log lines.
type simLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *simLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *simLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeSimStopsDuringLatency stops the server while a request waits out its simulated
// latency: the stop is clean (no error, no wait for the latency), the request gets no answer
// and buys nothing.
func TestServeSimStopsDuringLatency(t *testing.T) {
	sim, err := cvmsim.New(cvmsim.Config{Seed: 3, Latency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	var once sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		sim.ServeHTTP(w, r)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serveSim(ctx, ln, h) }()

	endpoint := "http://" + ln.Addr().String() + cvmsim.Path
	form := signedPurchase("127.0.0.1", "4243", "sim-stop-1")
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Post(endpoint, "application/x-www-form-urlencoded", strings.NewReader(form))
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	<-entered
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serveSim: %v", err)
	}
	if err := <-answered; err == nil {
		t.Error("the request waiting out its latency got an answer after the stop")
	}
	if n := sim.Purchases(); n != 0 {
		t.Errorf("%d purchases by a request stopped during its latency, want 0", n)
	}
}
