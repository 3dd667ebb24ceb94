package planner

import (
	"fleet/internal/secret"
	"strings"
	"testing"
)

func TestConfigDiffEqualAndCallParams(t *testing.T) {
	bought := map[string]string{"cpu": "2", "goodsNum": "5", "clientToken": "t-1", "privateIpAddresses.0": "10.0.0.1", "password": secret.Hash("Secret-pass1")}
	desired := map[string]string{"cpu": "2", "goodsNum": "1", "password": "Secret-pass1"}
	if got := ConfigDiff("web", bought, desired); got != "" {
		t.Errorf("call parameters or a masked/unmasked secret made a diff:\n%s", got)
	}
	desired["zoneId"] = "100003"
	got := ConfigDiff("web", bought, desired)
	if !strings.Contains(got, "+zoneId = 100003\n") || strings.Contains(got, "Secret-pass1") || strings.Contains(got, "goodsNum") {
		t.Errorf("diff for an added zone:\n%s", got)
	}
}
