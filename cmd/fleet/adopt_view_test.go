package main

import (
	"bytes"
	"strings"
	"testing"

	"fleet/executor"
	"fleet/internal/workflow"
)

func TestAdoptedEventLine(t *testing.T) {
	e := executor.Event{Type: executor.EventCallAdopted, Group: "web", Seq: 2, GoodsNum: 3, Resume: true,
		InstanceIDs: []string{"ins-1", "ins-2", "ins-3"}, Marker: "fl-abcdefghij"}
	want := "adopted  web #2 (resumed): 3 of 3 instances (ins-1, ins-2, ins-3) found by their name marker fl-abcdefghij; nothing was bought again"
	if got := applyEventLine(e); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestSummaryNamesAdoptedInstances(t *testing.T) {
	var buf bytes.Buffer
	applySummary(&buf, &executor.Result{Done: 1, Adopted: 3})
	if !strings.Contains(buf.String(), "Adopted 3 instances of pending calls found by their name markers; none was bought again.") {
		t.Errorf("summary does not name the adopted instances:\n%s", buf.String())
	}
	buf.Reset()
	applySummary(&buf, &executor.Result{Done: 1, Bought: 3})
	if strings.Contains(buf.String(), "Adopted") {
		t.Errorf("summary names adoption without any:\n%s", buf.String())
	}
}

func TestWaitedListsFailuresByGroup(t *testing.T) {
	var buf bytes.Buffer
	applyWaited(&buf, workflow.WaitCounts{Running: 1, Failed: 3, FailedIDs: map[string][]string{"web": {"ins-b", "ins-c"}, "api": {"ins-a"}}})
	want := "Instances: 1 running, 3 failed to be created, 0 still creating.\n" +
		"  api: creation failed: ins-a\n" +
		"  web: creation failed: ins-b, ins-c\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestParseMaxCost(t *testing.T) {
	if got, err := parseMaxCost(""); got != nil || err != nil {
		t.Errorf("empty: %v, %v; want no limit", got, err)
	}
	if got, err := parseMaxCost("1999.5"); err != nil || got == nil || *got != 199950 {
		t.Errorf("1999.5: %v, %v; want 199950 fen", got, err)
	}
	for _, bad := range []string{"ten", "-1", "1.234", "1e3"} {
		if _, err := parseMaxCost(bad); err == nil || !strings.Contains(err.Error(), "invalid --max-cost") {
			t.Errorf("%q: err %v, want invalid --max-cost", bad, err)
		}
	}
}
