package planner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func lines(s ...string) string {
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s, "\n") + "\n"
}

// TestUnifiedDiff compares the hunks with those of diff -u for the same texts.
func TestUnifiedDiff(t *testing.T) {
	a := lines("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"append", a, a + "k\n", "@@ -8,3 +8,4 @@\n h\n i\n j\n+k\n"},
		{"drop first", a, lines("b", "c", "d", "e", "f", "g", "h", "i", "j"), "@@ -1,4 +1,3 @@\n-a\n b\n c\n d\n"},
		{"two changes, one hunk", a, lines("a", "b", "X", "d", "e", "Y", "g", "h", "i", "j"),
			"@@ -1,9 +1,9 @@\n a\n b\n-c\n+X\n d\n e\n-f\n+Y\n g\n h\n i\n"},
		{"from nothing", "", lines("b", "c"), "@@ -0,0 +1,2 @@\n+b\n+c\n"},
		{"to nothing", lines("a", "b"), "", "@@ -1,2 +0,0 @@\n-a\n-b\n"},
	} {
		got := unifiedDiff("x", "y", tc.a, tc.b)
		if diff := cmp.Diff("--- x\n+++ y\n"+tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestConfigDiffEqualAndCallParams(t *testing.T) {
	bought := map[string]string{"cpu": "2", "goodsNum": "5", "clientToken": "t-1", "privateIpAddresses.0": "10.0.0.1", "password": "Secret-pass1"}
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
