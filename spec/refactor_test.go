package spec

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMovedRemoved checks the moves and removes a spec keeps and the diagnostics, with
// their codes and lines, of those it refuses.
func TestMovedRemoved(t *testing.T) {
	src := ldHeader + `group "backend" {
  count = 1
}

moved {
  from = "api"
  to   = "mid"
}

moved {
  from = "mid"
  to   = "backend"
}

moved {
  from = "web"
  to   = "web[gz4]"
}

moved {
  from = "backend"
  to   = "backend"
}

removed {
  from  = "batch"
  lapse = false
}

removed {
  from  = "cron"
  lapse = true
}

removed {
  from  = "backend"
  lapse = false
}

removed {
  from  = "mid"
  lapse = false
}

moved {
  from = "bad name"
  to   = "backend"
}
`
	f, diags := Load(ldFiles("main.fleet.hcl", src), Inputs{})
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s:%d", Code(d), d.Subject.Start.Line))
	}
	line := func(s string) int {
		n := 1
		for i := 0; i < len(src); i++ {
			if src[i:min(len(src), i+len(s))] == s {
				return n
			}
			if src[i] == '\n' {
				n++
			}
		}
		return 0
	}
	want := []string{
		fmt.Sprintf("moved-target:%d", line("moved {\n  from = \"web\"")),
		fmt.Sprintf("moved-conflict:%d", line("moved {\n  from = \"backend\"")),
		fmt.Sprintf("removed-in-spec:%d", line("removed {\n  from  = \"backend\"")),
		fmt.Sprintf("removed-moved:%d", line("removed {\n  from  = \"mid\"")),
		fmt.Sprintf("moved-address:%d", line("  from = \"bad name\"")),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("diagnostics (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string][]string{"backend": {"mid", "api"}}, f.MovedFrom()); d != "" {
		t.Errorf("MovedFrom (-want +got):\n%s", d)
	}
	if len(f.Removed) != 2 || f.Removed[0].From != "batch" || f.Removed[0].Lapse || f.Removed[1].From != "cron" || !f.Removed[1].Lapse {
		t.Errorf("removed: got %+v, want batch (forgotten) and cron (lapsing)", f.Removed)
	}
}
