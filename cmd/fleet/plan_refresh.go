package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"fleet/executor"
	"fleet/internal/cvm"
	"fleet/internal/state"
)

// defaultRate is the rate limit, in calls a second, of the API calls of a command without a
// --rate flag: that of apply's default.
const defaultRate = 10

// planRefresh reads the status of every instance recorded in st, as fleet refresh does, and
// records the changes in st in memory only: the state file is not written. It prints what
// changed to w.
func planRefresh(ctx context.Context, cfg cvm.Config, st *state.State, w io.Writer) error {
	client, err := newCloudClient(cfg, st.Region)
	if err != nil {
		return err
	}
	c := executor.WithRetry(executor.WithRateLimit(client, defaultRate), executor.RetryPolicy{})
	res, err := executor.Refresh(ctx, c, st, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Refreshed %s in %s; the state file is not written.\n",
		countNoun(res.Checked, "instance"), countNoun(res.Requests, "DescribeInstances request"))
	for _, ch := range res.Changes {
		note := ""
		switch {
		case ch.Gone():
			note = " (no longer counts: this plan buys a replacement)"
		case ch.Back():
			note = " (counts again)"
		}
		fmt.Fprintf(w, "  %s %s: %s -> %s%s\n", ch.Group, ch.ID, executor.StatusName(ch.Old), executor.StatusName(ch.New), note)
	}
	for _, m := range res.Missing {
		fmt.Fprintf(w, "  %s %s: missing: DescribeInstances does not know it (recorded %s; still counted)\n", m.Group, m.ID, executor.StatusName(m.Status))
	}
	if !res.Changed() {
		fmt.Fprintln(w, "No status changed.")
	}
	fmt.Fprintln(w)
	return nil
}
