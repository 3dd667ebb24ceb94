package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
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

// RefreshResult is what a refresh found. Changes, Missing and Warnings are in the order of
// the state: by group name, then by instance id.
type RefreshResult struct {
	Checked  int // instances asked about
	Requests int // DescribeInstances calls made (each at most DescribeBatch ids)
	Changes  []StatusChange
	Missing  []MissingInstance
	// Updated counts the instances whose zone, addresses, deadline or renew flag read
	// differs from the recorded one (a first read included), whatever their status did.
	Updated int
	// Read counts the instances the answers held: each has its values and StatusAt
	// recorded, so that the next plan knows how fresh its deadlines are.
	Read int
	// Warnings are the parts of answers that could not be read, e.g. a deadline in an
	// unexpected form: the value is recorded as unknown, never guessed.
	Warnings []RefreshWarning
}

// RefreshWarning is one thing of an instance's answer that a refresh could not read.
type RefreshWarning struct {
	Group string
	ID    string
	Note  string
}

// Changed reports whether the refresh changed the state, so that it should be written.
func (r *RefreshResult) Changed() bool { return len(r.Changes) > 0 || r.Updated > 0 }

// Wrote reports whether the refresh changed the state: it read any instance (its StatusAt
// moved) or changed a value.
func (r *RefreshResult) Wrote() bool { return r.Changed() || r.Read > 0 }

// DefaultRefreshParallel is how many DescribeInstances requests a refresh has in flight at
// once by default.
const DefaultRefreshParallel = 8

// RefreshOptions tune a refresh.
type RefreshOptions struct {
	// Parallel is the most DescribeInstances requests in flight at once; 0 means
	// DefaultRefreshParallel. The client's rate limit still applies to each of them.
	Parallel int
}

// Refresh is RefreshWith with the default options.
func Refresh(ctx context.Context, c Lister, st *state.State, now time.Time) (*RefreshResult, error) {
	return RefreshWith(ctx, c, st, now, RefreshOptions{})
}

// RefreshWith reads the instances recorded in st with DescribeInstances, at most
// DescribeBatch ids a call and up to opts.Parallel calls at once, and records per instance
// what it read: status, zone, private and public IPs, deadline and the cloud's renew flag.
// Every instance the answers hold gets the values read and its StatusAt becomes now, so that
// a plan knows how fresh its deadlines are; Changes and Updated count what differed. Instances whose
// status is then returned (5), returning (6) or failed (-1) stop counting as current
// (state.Instance.Gone), so the next plan buys their replacements. A deadline or renew flag
// the answer gives in an unexpected form is recorded as unknown and reported in Warnings.
//
// Instances whose creation failed are not asked about again: that status is final. A
// returned instance is asked about, because it may be restored.
//
// An id the answer does not contain is reported in Missing and keeps its recorded values. It
// is not counted as gone: the API keeps returned instances visible (status 5) for a while, so
// an instance that vanishes without being seen returned is more likely asked about in the
// wrong region or with another account's credentials, and counting it as gone would make the
// next plan buy it again.
//
// c should be wrapped with the same retry and rate-limit decorators as an apply. Refresh
// changes st only when every call succeeded: on an error st is as it was.
func RefreshWith(ctx context.Context, c Lister, st *state.State, now time.Time, opts RefreshOptions) (*RefreshResult, error) {
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
	found, requests, err := describeByID(ctx, c, ids, opts.Parallel)
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
		for _, note := range got.Notes {
			res.Warnings = append(res.Warnings, RefreshWarning{Group: r.group, ID: r.in.ID, Note: note})
		}
		statusChanged := got.Status != r.in.Status
		if statusChanged {
			res.Changes = append(res.Changes, StatusChange{Group: r.group, ID: r.in.ID, Old: r.in.Status, New: got.Status})
		}
		detailsChanged := !sameDetails(r.in, got)
		if detailsChanged {
			res.Updated++
		}
		RecordRead(r.in, got, at)
		res.Read++
	}
	return res, nil
}

// RecordRead records in in what DescribeInstances answered about it, read at at: status,
// zone, private and public IPs, deadline and renew flag, and StatusAt.
func RecordRead(in *state.Instance, got cvm.Instance, at time.Time) {
	in.Status = got.Status
	in.ZoneID = got.ZoneID
	in.PrivateIPs = cloneOrNil(got.PrivateIPs)
	in.PublicIPs = cloneOrNil(got.PublicIPs)
	in.Deadline = nil
	if got.Deadline != nil {
		d := got.Deadline.UTC()
		in.Deadline = &d
	}
	in.AutoRenew = nil
	if got.AutoRenew != nil {
		n := *got.AutoRenew
		in.AutoRenew = &n
	}
	t := at.UTC()
	in.StatusAt = &t
}

// sameDetails reports whether the zone, addresses, deadline and renew flag recorded in in
// are those of got.
func sameDetails(in *state.Instance, got cvm.Instance) bool {
	if in.ZoneID != got.ZoneID || !slices.Equal(in.PrivateIPs, got.PrivateIPs) || !slices.Equal(in.PublicIPs, got.PublicIPs) {
		return false
	}
	switch {
	case (in.Deadline == nil) != (got.Deadline == nil):
		return false
	case in.Deadline != nil && !in.Deadline.Equal(*got.Deadline):
		return false
	case (in.AutoRenew == nil) != (got.AutoRenew == nil):
		return false
	case in.AutoRenew != nil && *in.AutoRenew != *got.AutoRenew:
		return false
	}
	return true
}

func cloneOrNil(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return slices.Clone(list)
}

// DescribeByID returns the instances among ids that DescribeInstances knows, by id, asking
// at most DescribeBatch ids a call, up to DefaultRefreshParallel calls at once. Blank and
// repeated ids are asked about once; instances of the answer that were not asked about are
// ignored.
func DescribeByID(ctx context.Context, c Lister, ids []string) (map[string]cvm.Instance, error) {
	found, _, err := describeByID(ctx, c, ids, 0)
	return found, err
}

// describeByID asks about ids in requests of at most DescribeBatch ids, up to parallel of
// them in flight at once (DefaultRefreshParallel when parallel <= 0). It returns what was
// found, how many requests were sent, and the error of the first failed request in the
// order of ids; after an error no further request is started.
func describeByID(ctx context.Context, c Lister, ids []string, parallel int) (map[string]cvm.Instance, int, error) {
	asked := make(map[string]bool, len(ids))
	uniq := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !asked[id] {
			asked[id] = true
			uniq = append(uniq, id)
		}
	}
	found := make(map[string]cvm.Instance, len(uniq))
	chunks := (len(uniq) + DescribeBatch - 1) / DescribeBatch
	if chunks == 0 {
		return found, 0, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if parallel <= 0 {
		parallel = DefaultRefreshParallel
	}
	parallel = min(parallel, chunks)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answers := make([][]cvm.Instance, chunks)
	errs := make([]error, chunks)
	var (
		next     atomic.Int64 // the next chunk to ask about
		requests atomic.Int64
		done     atomic.Int64 // chunks answered
		wg       sync.WaitGroup
	)
	for range parallel {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= chunks || ctx.Err() != nil {
					return
				}
				start := i * DescribeBatch
				chunk := uniq[start:min(start+DescribeBatch, len(uniq))]
				requests.Add(1)
				list, err := c.DescribeInstances(ctx, cvm.DescribeFilter{InstanceIDs: chunk})
				if err != nil {
					errs[i] = fmt.Errorf("describe instances %d to %d of %d: %w", start+1, start+len(chunk), len(uniq), err)
					cancel()
					return
				}
				answers[i] = list
				done.Add(1)
			}
		})
	}
	wg.Wait()
	n := int(requests.Load())
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, n, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, n, err
		}
	}
	if int(done.Load()) != chunks {
		// No request failed, but the context ended before every chunk was asked.
		return nil, n, context.Cause(ctx)
	}
	for _, list := range answers {
		for _, in := range list {
			if asked[in.ID] {
				found[in.ID] = in
			}
		}
	}
	return found, n, nil
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
