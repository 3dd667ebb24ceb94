package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"fleet/internal/cvm"
	"fleet/internal/state"
	"fleet/planner"
)

// EventCallAdopted reports a pending call whose instances were found by the marker of their
// name: the call is recorded done with those instances and is not sent again.
const EventCallAdopted = "call_adopted"

// ErrMarkerTaken is returned (wrapped) for a pending call whose marker finds only instances
// that the state already records in other groups. The call stays pending and is not sent.
var ErrMarkerTaken = errors.New("the instances named by the marker are recorded in other groups")

// LookupMarker returns the ids of the instances whose name carries marker as a whole word
// (planner.HasMarker), sorted. It asks DescribeInstances with the marker as searchWord, which
// matches any part of a name, and keeps only the instances that really carry it.
//
// c should be wrapped with the same retry and rate-limit decorators as an apply.
func LookupMarker(ctx context.Context, c Client, marker string) ([]string, error) {
	if marker == "" {
		return nil, errors.New("look up marker: empty marker")
	}
	list, err := c.DescribeInstances(ctx, cvm.DescribeFilter{SearchWord: marker})
	if err != nil {
		return nil, fmt.Errorf("look up marker %s: %w", marker, err)
	}
	seen := map[string]bool{}
	var ids []string
	for _, in := range list {
		if in.ID != "" && !seen[in.ID] && planner.HasMarker(in.Name, marker) {
			seen[in.ID] = true
			ids = append(ids, in.ID)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// adopt resolves the resumed calls that have a marker (the one their batch recorded, see
// planner.Plan.CallMarker) before any of them is sent again. The API may have forgotten a call's client token, so sending it again could buy
// a second time: the marker is looked up first, and when instances carry it the call is
// recorded done with them (Batch.Adopted) and nothing is sent. Only when none carries it is
// the call returned, to be sent with its recorded token. When the lookup fails the call stays
// pending and is not sent: sending blind is what the lookup is there to prevent. Calls
// without a marker (planned before markers existed) are returned as they are.
//
// On a journal error it returns the calls not yet decided with the error; the caller skips
// them.
func (x *applier) adopt(ctx context.Context, calls []*planner.Call) ([]*planner.Call, error) {
	send := make([]*planner.Call, 0, len(calls))
	for i, c := range calls {
		m := x.markers[c]
		if m == "" {
			send = append(send, c)
			continue
		}
		if ctx.Err() != nil {
			x.skip(c, ErrInterrupted)
			continue
		}
		old := x.findBatch(c.Group, c.Seq)
		if old == nil || old.Status != state.StatusPending || old.ClientToken != c.ClientToken {
			// prepare reports the stale plan.
			send = append(send, c)
			continue
		}
		ids, err := LookupMarker(ctx, x.opts.Client, m)
		if err != nil {
			x.unsent(c, fmt.Errorf("call %s #%d: %w (the call stays pending and is not sent until its instances can be looked up)", c.Group, c.Seq, err))
			continue
		}
		if len(ids) == 0 {
			send = append(send, c)
			continue
		}
		ids = x.notElsewhere(c.Group, ids)
		if len(ids) == 0 {
			x.unsent(c, fmt.Errorf("call %s #%d: marker %s: %w; resolve it by hand (fleet state rm, fleet import)", c.Group, c.Seq, m, ErrMarkerTaken))
			continue
		}
		b := old.Clone()
		b.Marker = m
		b.Status = state.StatusDone
		b.Adopted = true
		b.Error = nil
		b.InstanceIDs = ids
		if b.DealIDs == nil {
			b.DealIDs = []string{}
		}
		b.UpdatedAt = x.opts.Now().UTC()
		rec := state.JournalRecord{Group: c.Group, Batch: b}
		if err := x.opts.Journal.Append(rec); err != nil {
			fatal := fmt.Errorf("apply: write journal: %w", err)
			x.unsent(c, fatal)
			return append(send, calls[i+1:]...), fatal
		}
		x.opts.State.Apply(rec)
		x.res.Done++
		x.res.Adopted += len(ids)
		x.res.Outcomes = append(x.res.Outcomes, &Outcome{Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum,
			Resume: true, Status: state.StatusDone, InstanceIDs: ids, Attempts: b.Attempts, Adopted: true})
		x.emit(Event{Type: EventCallAdopted, Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum,
			Resume: true, InstanceIDs: ids, Marker: m})
	}
	return send, nil
}

// notElsewhere returns the ids that no group of the state but group records.
func (x *applier) notElsewhere(group string, ids []string) []string {
	var out []string
	for _, id := range ids {
		taken := false
		for name, g := range x.opts.State.Groups {
			if name != group && g != nil && g.Instance(id) != nil {
				taken = true
				break
			}
		}
		if !taken {
			out = append(out, id)
		}
	}
	return out
}
