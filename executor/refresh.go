package executor

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/state"
)

// DescribeBatch is the most instance ids asked about in one DescribeInstances request, the
// largest page the API returns.
const DescribeBatch = 100

// StatusChange is one instance whose status differs from the one recorded in the state.
type StatusChange struct {
	Group string
	ID    string
	Old   int // the recorded status; 0 when it was never read
	New   int
}

// Gone reports whether the change makes the instance stop counting as current.
func (c StatusChange) Gone() bool {
	return (&state.Instance{Status: c.New}).Gone() && !(&state.Instance{Status: c.Old}).Gone()
}

// Back reports whether the change makes an instance that no longer counted as current count
// again, e.g. a returned instance that was restored.
func (c StatusChange) Back() bool {
	return (&state.Instance{Status: c.Old}).Gone() && !(&state.Instance{Status: c.New}).Gone()
}

// MissingInstance is a recorded instance that DescribeInstances did not return.
type MissingInstance struct {
	Group  string
	ID     string
	Status int // the recorded status, which Refresh leaves as it was
}

// RefreshResult is what a refresh found. Changes and Missing are in the order of the state:
// by group name, then by instance id.
type RefreshResult struct {
	Checked  int // instances asked about
	Requests int // DescribeInstances calls made (each at most DescribeBatch ids)
	Changes  []StatusChange
	Missing  []MissingInstance
}

// Changed reports whether the refresh changed the state, so that it should be written.
func (r *RefreshResult) Changed() bool { return len(r.Changes) > 0 }

// Refresh reads the status of the instances recorded in st with DescribeInstances, at most
// DescribeBatch ids a call, and records every status that changed: the instance's Status
// becomes the one read and its StatusAt becomes now. StatusAt is thus the time the recorded
// status was first read, and a refresh that finds nothing new leaves the state as it was.
// Instances whose status is then returned (5), returning (6) or failed (-1) stop counting as
// current (state.Instance.Gone), so the next plan buys their replacements.
//
// Instances whose creation failed are not asked about again: that status is final. A
// returned instance is asked about, because it may be restored.
//
// An id the answer does not contain is reported in Missing and keeps its recorded status. It
// is not counted as gone: the API keeps returned instances visible (status 5) for a while, so
// an instance that vanishes without being seen returned is more likely asked about in the
// wrong region or with another account's credentials, and counting it as gone would make the
// next plan buy it again.
//
// c should be wrapped with the same retry and rate-limit decorators as an apply. Refresh
// changes st only when every call succeeded: on an error st is as it was.
func Refresh(ctx context.Context, c Client, st *state.State, now time.Time) (*RefreshResult, error) {
	if c == nil || st == nil {
		return nil, fmt.Errorf("refresh: client and state are required")
	}
	type ref struct {
		group string
		in    *state.Instance
	}
	var refs []ref
	for _, name := range st.GroupNames() {
		g := st.Groups[name]
		if g == nil {
			continue
		}
		for _, in := range g.Instances {
			if in != nil && in.Status != state.InstanceFailed {
				refs = append(refs, ref{name, in})
			}
		}
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.in.ID
	}
	res := &RefreshResult{Checked: len(ids)}
	found, requests, err := describeByID(ctx, c, ids)
	res.Requests = requests
	if err != nil {
		return res, fmt.Errorf("refresh: %w", err)
	}
	at := now.UTC()
	for _, r := range refs {
		got, ok := found[r.in.ID]
		if !ok {
			res.Missing = append(res.Missing, MissingInstance{Group: r.group, ID: r.in.ID, Status: r.in.Status})
			continue
		}
		if got.Status == r.in.Status {
			continue
		}
		res.Changes = append(res.Changes, StatusChange{Group: r.group, ID: r.in.ID, Old: r.in.Status, New: got.Status})
		r.in.Status = got.Status
		t := at
		r.in.StatusAt = &t
	}
	return res, nil
}

// DescribeByID returns the instances among ids that DescribeInstances knows, by id, asking
// at most DescribeBatch ids a call. Blank and repeated ids are asked about once; instances
// of the answer that were not asked about are ignored.
func DescribeByID(ctx context.Context, c Client, ids []string) (map[string]cvm.Instance, error) {
	found, _, err := describeByID(ctx, c, ids)
	return found, err
}

func describeByID(ctx context.Context, c Client, ids []string) (map[string]cvm.Instance, int, error) {
	asked := make(map[string]bool, len(ids))
	uniq := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !asked[id] {
			asked[id] = true
			uniq = append(uniq, id)
		}
	}
	found := make(map[string]cvm.Instance, len(uniq))
	requests := 0
	for start := 0; start < len(uniq); start += DescribeBatch {
		if err := ctx.Err(); err != nil {
			return nil, requests, err
		}
		chunk := uniq[start:min(start+DescribeBatch, len(uniq))]
		requests++
		list, err := c.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: chunk})
		if err != nil {
			return nil, requests, fmt.Errorf("describe instances %d to %d of %d: %w", start+1, start+len(chunk), len(uniq), err)
		}
		for _, in := range list {
			if asked[in.ID] {
				found[in.ID] = in
			}
		}
	}
	return found, requests, nil
}

// StatusName returns the meaning of a DescribeInstances status code, e.g. "running" for 2.
// Codes above 20 mean maintenance; 0 means the status was never read.
func StatusName(status int) string {
	if status > 20 {
		return "maintenance"
	}
	if name, ok := statusNames[status]; ok {
		return name
	}
	return "status " + strconv.Itoa(status)
}

var statusNames = map[int]string{
	-1: "failed",
	0:  "unknown",
	1:  "faulty",
	2:  "running",
	3:  "creating",
	4:  "stopped",
	5:  "returned",
	6:  "returning",
	7:  "rebooting",
	8:  "starting",
	9:  "stopping",
	10: "resetting password",
	11: "formatting",
	12: "creating image",
	13: "setting bandwidth",
	14: "reinstalling",
	15: "binding domain",
	16: "unbinding domain",
	17: "binding load balancer",
	18: "unbinding load balancer",
	19: "upgrading",
	20: "distributing key",
}
