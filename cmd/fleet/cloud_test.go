package main

import (
	"strings"
	"testing"

	"fleet/internal/cvm"
)

func TestTradeEndpoint(t *testing.T) {
	for _, tc := range []struct {
		trade, cvmEndpoint, want string
	}{
		{"", "", cvm.DefaultTradeEndpoint},
		{"", cvm.DefaultEndpoint, cvm.DefaultTradeEndpoint},
		{"", "https://cvm.example.com/v2/index.php", cvm.DefaultTradeEndpoint},
		// The simulator serves both modules on one listener.
		{"", "http://127.0.0.1:8930/v2/index.php", "http://127.0.0.1:8930/v2/index.php"},
		{"", "http://localhost:8930/v2/index.php", "http://localhost:8930/v2/index.php"},
		{"", "http://[::1]:8930/v2/index.php", "http://[::1]:8930/v2/index.php"},
		{"https://trade.example.com/v2/index.php", "http://127.0.0.1:8930/v2/index.php", "https://trade.example.com/v2/index.php"},
		{"http://127.0.0.1:9000/v2/index.php", "", "http://127.0.0.1:9000/v2/index.php"},
	} {
		if got := tradeEndpoint(tc.trade, tc.cvmEndpoint); got != tc.want {
			t.Errorf("tradeEndpoint(%q, %q) = %q, want %q", tc.trade, tc.cvmEndpoint, got, tc.want)
		}
	}
}

// The trade module's client is made with the CVM module's: a bad FLEET_TRADE_ENDPOINT stops
// the command before any call, and says which variable is wrong.
func TestNewCloudClientTradeEndpoint(t *testing.T) {
	cfg := cvm.Config{Endpoint: "http://127.0.0.1:1/v2/index.php", SecretID: "id", SecretKey: "key"}
	t.Setenv(envLog, "")
	t.Setenv(envTrade, "http://trade.example.com/v2/index.php")
	if _, err := newCloudClient(cfg, "ap-guangzhou", 0); err == nil {
		t.Fatal("plain http to a remote trade endpoint was accepted")
	} else if !strings.Contains(err.Error(), envTrade) {
		t.Errorf("error %q does not name %s", err, envTrade)
	}
	t.Setenv(envTrade, "")
	c, err := newCloudClient(cfg, "ap-guangzhou", 5)
	if err != nil {
		t.Fatal(err)
	}
	api, ok := c.(cvm.API)
	if !ok || api.CVM == nil || api.Trade == nil {
		t.Errorf("client %T %+v, want a cvm.API with both transports", c, c)
	}
}
