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
	c, err := newCloudClient(cfg, st.Region, defaultRate)
	if err != nil {
		return err
	}
	res, err := executor.Refresh(ctx, c, st, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Refreshed %s in %s; the state file is not written.\n",
		countNoun(res.Checked, "instance"), countNoun(res.Requests, "DescribeInstances request"))
	printRefreshChanges(w, res, "the plan below shows whether it is replaced", "still counted")
	printRefreshWarnings(w, res)
	if len(res.Changes) == 0 {
		fmt.Fprintln(w, "No status changed.")
	}
	fmt.Fprintln(w)
	return nil
}
