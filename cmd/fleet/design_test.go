package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"fleet/executor"
	"fleet/internal/cvm"

	"github.com/spf13/cobra"
)

// TestDesignCommandLine checks that every command and flag the design names exists under
// exactly that name, with the documented defaults.
func TestDesignCommandLine(t *testing.T) {
	root := newRootCmd(&globals{})
	find := func(path string) *cobra.Command {
		t.Helper()
		cmd, rest, err := root.Find(strings.Fields(path))
		if err != nil || len(rest) != 0 || cmd == root {
			t.Errorf("command %q: not found (%v)", path, err)
			return nil
		}
		return cmd
	}

	for _, name := range []string{"no-color", "chdir"} {
		if root.PersistentFlags().Lookup(name) == nil {
			t.Errorf("global flag --%s: not found", name)
		}
	}
	// The common flags, on the commands that use them only.
	for _, c := range []struct {
		cmd       string
		has, lack []string
	}{
		{"validate", []string{"var", "var-file"}, []string{"state", "lock-timeout"}},
		{"plan", []string{"state", "var", "var-file", "lock-timeout"}, nil},
		{"apply", []string{"state", "var", "var-file", "lock-timeout"}, nil},
		{"import", []string{"state", "var", "var-file", "lock-timeout"}, nil},
		{"refresh", []string{"state", "lock-timeout"}, nil},
		{"output", []string{"state", "lock-timeout"}, nil},
		{"state show", []string{"state", "var", "lock-timeout"}, nil},
		{"state rm", []string{"state", "lock-timeout"}, nil},
		{"force-unlock", []string{"state", "lock-timeout"}, nil},
		{"fmt", nil, []string{"state", "var", "var-file", "lock-timeout"}},
		{"show", nil, []string{"state", "var", "var-file", "lock-timeout"}},
		{"sim", nil, []string{"state", "var", "var-file", "lock-timeout"}},
		{"version", nil, []string{"state", "var", "var-file", "lock-timeout"}},
	} {
		cmd := find(c.cmd)
		if cmd == nil {
			continue
		}
		has := func(name string) bool {
			return cmd.Flags().Lookup(name) != nil || cmd.PersistentFlags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil
		}
		for _, name := range c.has {
			if !has(name) {
				t.Errorf("%s --%s: not found", c.cmd, name)
			}
		}
		for _, name := range c.lack {
			if has(name) {
				t.Errorf("%s --%s: the command does not use it and should not take it", c.cmd, name)
			}
		}
	}

	tests := []struct {
		cmd   string
		flags map[string]string // name -> default ("" for no check)
	}{
		{"validate", nil},
		{"fmt", map[string]string{"check": "false", "diff": "false"}},
		{"plan", map[string]string{"out": "", "json": "false", "format": "human", "detailed-exitcode": "false", "price": "false", "refresh": "false"}},
		{"apply", map[string]string{"auto-approve": "false", "parallelism": "4", "rate": "10", "json": "false", "wait": "false"}},
		{"show", map[string]string{"json": "false"}},
		{"state list", nil},
		{"state show", nil},
		{"state rm", nil},
		{"import", nil},
		{"refresh", nil},
		{"force-unlock", nil},
		{"sim", map[string]string{"listen": "", "data": "", "latency": "", "busy-rate": "", "drop-rate": "", "secret-id": "", "secret-key": "", "quota": "", "balance": ""}},
		{"version", nil},
	}
	for _, tt := range tests {
		cmd := find(tt.cmd)
		if cmd == nil {
			continue
		}
		for name, def := range tt.flags {
			f := cmd.Flags().Lookup(name)
			if f == nil {
				t.Errorf("fleet %s --%s: not found", tt.cmd, name)
				continue
			}
			if def != "" && f.DefValue != def {
				t.Errorf("fleet %s --%s: default %q, want %q", tt.cmd, name, f.DefValue, def)
			}
		}
	}
}

// TestDesignEnvLog checks the values FLEET_LOG accepts.
func TestDesignEnvLog(t *testing.T) {
	for _, v := range []string{"", "debug", "info", "warn", "error", "DEBUG"} {
		if _, err := logLevel(v); err != nil {
			t.Errorf("logLevel(%q): %v, want accepted", v, err)
		}
	}
	for _, v := range []string{"trace", "verbose", "1"} {
		if _, err := logLevel(v); err == nil || !strings.Contains(err.Error(), "FLEET_LOG") {
			t.Errorf("logLevel(%q): %v, want an error naming FLEET_LOG", v, err)
		}
	}
	if l, _ := logLevel(""); l != nil {
		t.Errorf("logLevel(\"\") = %v, want nil: no logs when unset", *l)
	}
}

// TestDesignEnvCredentials checks that the client made from the environment signs with
// TENCENTCLOUD_SECRET_ID, sends TENCENTCLOUD_SECURITY_TOKEN as Token, posts to FLEET_ENDPOINT
// and never sends Version nor the secret key.
func TestDesignEnvCredentials(t *testing.T) {
	forms := make(chan url.Values, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		select {
		case forms <- r.PostForm:
		default:
		}
		fmt.Fprint(w, `{"code":0,"message":"","totalCount":0,"instanceSet":[]}`)
	}))
	defer srv.Close()
	t.Setenv(envEndpoint, srv.URL+"/v2/index.php")
	t.Setenv(envSecretID, "AKIDdesign")
	t.Setenv(envKey, "design-secret-key")
	t.Setenv(envToken, "session-token")
	t.Setenv(envLog, "")

	cfg, err := cloudConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCloudClient(cfg, "ap-guangzhou", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.DescribeInstances(context.Background(), cvm.DescribeFilter{InstanceIDs: []string{"ins-00000001"}})
	var form url.Values
	select {
	case form = <-forms:
	default:
		t.Fatal("no request reached the endpoint")
	}
	for k, want := range map[string]string{"Token": "session-token", "SecretId": "AKIDdesign", "SignatureMethod": "HmacSHA256", "Region": "ap-guangzhou"} {
		if got := form.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if form.Has("Version") {
		t.Errorf("Version sent: %q", form.Get("Version"))
	}
	for k, vs := range form {
		for _, v := range vs {
			if strings.Contains(v, "design-secret-key") {
				t.Errorf("parameter %s carries the secret key", k)
			}
		}
	}

	t.Setenv(envToken, "")
	t.Setenv(envKey, "")
	if _, err := cloudConfig(); !errors.Is(err, errNoCredentials) {
		t.Errorf("cloudConfig without a key: %v, want errNoCredentials", err)
	}
}

// TestDesignApplySummaryCounts checks the nouns of the apply summary for one and for many.
func TestDesignApplySummaryCounts(t *testing.T) {
	for _, tt := range []struct {
		r    executor.Result
		want string
	}{
		{executor.Result{Bought: 1, Calls: 1}, "Apply complete: bought 1 instance in 1 call; 0 retries,"},
		{executor.Result{Bought: 0, Calls: 0}, "Apply complete: bought 0 instances in 0 calls; 0 retries,"},
		{executor.Result{Bought: 205, Calls: 3, Retries: 1}, "Apply complete: bought 205 instances in 3 calls; 1 retry,"},
	} {
		var b strings.Builder
		applySummary(&b, &tt.r)
		if !strings.HasPrefix(b.String(), tt.want) {
			t.Errorf("summary of %+v = %q, want it to start with %q", tt.r, b.String(), tt.want)
		}
	}
}
