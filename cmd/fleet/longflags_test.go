package main

import (
	"slices"
	"testing"
)

func TestLongFlags(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"plan", "-out=web.plan", "-detailed-exitcode", "-no-color"}, []string{"plan", "--out=web.plan", "--detailed-exitcode", "--no-color"}},
		{[]string{"apply", "-auto-approve", "-lock-timeout=30s", "-var-file", "x.hcl"}, []string{"apply", "--auto-approve", "--lock-timeout=30s", "--var-file", "x.hcl"}},
		{[]string{"fmt", "-r", "--check", "-"}, []string{"fmt", "-r", "--check", "-"}},
		{[]string{"apply", "--parallelism", "-1"}, []string{"apply", "--parallelism", "-1"}},
		{[]string{"import", "web", "--", "-weird"}, []string{"import", "web", "--", "-weird"}},
	} {
		if got := longFlags(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("longFlags(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
