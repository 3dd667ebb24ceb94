package workflow

import (
	"context"
	"fmt"
	"time"

	"fleet/executor"
	"fleet/internal/cvm"
	"fleet/internal/state"
)

// WaitCounts are the statuses of the instances an apply waits for.
type WaitCounts struct {
	Running  int `json:"running"`
	Failed   int `json:"failed"`
	Creating int `json:"creating"`
	// FailedIDs are the instances whose creation failed, by group.
	FailedIDs map[string][]string `json:"failed_ids,omitempty"`
}

// readBought reads once what res bought (DescribeInstances, 100 ids a request) and records
// it in st: status, zone, addresses, deadline and renew flag, so that the next plan knows
// when they expire. It is best effort: when the answer cannot be had, the next plan says
// that the deadlines are unknown.
func readBought(ctx context.Context, c executor.Lister, st *state.State, res *executor.Result, now func() time.Time) {
	ids, owner := res.BoughtIDs()
	if len(ids) == 0 || ctx.Err() != nil {
		return
	}
	if found, err := executor.DescribeByID(ctx, c, ids); err == nil {
		recordFound(st, owner, found, now().UTC())
	}
}

// recordFound records in st what DescribeInstances found of the instances of owner (id ->
// group), read at at.
func recordFound(st *state.State, owner map[string]string, found map[string]cvm.Instance, at time.Time) {
	for id, got := range found {
		if g := st.Groups[owner[id]]; g != nil {
			if in := g.Instance(id); in != nil {
				executor.RecordRead(in, got, at)
			}
		}
	}
}

// wait polls DescribeInstances until every instance bought by res is running or has
// failed, the timeout passes or ctx is done, and records their statuses in st. It returns the
// last counts.
func wait(ctx context.Context, c executor.Lister, st *state.State, res *executor.Result, timeout time.Duration, now func() time.Time) (WaitCounts, error) {
	ids, owner := res.BoughtIDs()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := time.Second
	var counts WaitCounts
	for {
		found, err := executor.DescribeByID(ctx, c, ids) // at most 100 ids a request
		if err != nil {
			return counts, fmt.Errorf("wait for instances: %w", err)
		}
		recordFound(st, owner, found, now().UTC())
		counts = WaitCounts{}
		for _, id := range ids {
			got, ok := found[id]
			status := got.Status
			switch {
			case ok && status == state.InstanceRunning:
				counts.Running++
			case ok && status == state.InstanceFailed:
				counts.Failed++
				if counts.FailedIDs == nil {
					counts.FailedIDs = map[string][]string{}
				}
				counts.FailedIDs[owner[id]] = append(counts.FailedIDs[owner[id]], id)
			default:
				counts.Creating++
			}
		}
		if counts.Creating == 0 {
			return counts, nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return counts, fmt.Errorf("wait for instances: %d of %d still not running: %w", counts.Creating, len(ids), ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, 10*time.Second)
	}
}
