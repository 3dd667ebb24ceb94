package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/state"
	"fleet/planner"
)

// EventCallAdopted reports a pending call whose instances were found by the marker of their
// name: the call is recorded done with those instances and is not sent again.
const EventCallAdopted = "call_adopted"

// ListingLag is how old a call must be before a listing that shows fewer of its instances
// than it asked for is taken as what it bought: until then the listing may lag the purchase,
// and buying the rest could buy it twice.
const ListingLag = 10 * time.Minute

// ErrListingLags is the error of a call whose marker lists fewer instances than it asked
// for while the call is younger than ListingLag: what is listed is recorded, the call stays
// pending, and nothing more is bought for it until a later apply looks again.
var ErrListingLags = errors.New("its marker lists fewer instances than it asked for, and the listing may lag the purchase")

// ErrNotListed is the error of a call whose earlier attempt of the same apply may have
// bought, and whose marker lists nothing yet: it is not sent again in this apply, since the
// API may have forgotten its token; the next apply looks again before it resends.
var ErrNotListed = errors.New("an earlier attempt may have bought and its marker lists no instance yet")

// LookupMarker returns the ids of the instances whose name carries marker as a whole word
// (planner.HasMarker), sorted. It asks DescribeInstances with the marker as searchWord, which
// matches any part of a name, and keeps only the instances that really carry it.
//
// c should be wrapped with the same retry and rate-limit decorators as an apply.
func LookupMarker(ctx context.Context, c Lister, marker string) ([]string, error) {
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
		// Instances another group records (imported there meanwhile) are the call's all the
		// same: adopting them records the conflict, which the plan reports with what to do,
		// and nothing is bought while it stands.
		b := old.Clone()
		b.Marker = m
		b.UpdatedAt = x.opts.Now().UTC()
		if age := x.opts.Now().Sub(old.CreatedAt); len(ids) < c.GoodsNum && age < ListingLag {
			// The listing may lag the purchase: record what it shows, buy nothing more yet.
			b.InstanceIDs = ids
			lag := fmt.Errorf("call %s #%d: %d of %d instances found by marker %s: %w; the call is %s old and stays pending until it is %s old, then fleet takes the listing as what it bought",
				c.Group, c.Seq, len(ids), c.GoodsNum, m, ErrListingLags, age.Round(time.Second), ListingLag)
			b.Error = &state.BatchError{Message: lag.Error(), Class: cvm.ClassUnknown.String()}
			if err := x.journal([]state.JournalRecord{{Group: c.Group, Batch: b}}); err != nil {
				x.unsent(c, err)
				return append(send, calls[i+1:]...), err
			}
			x.unsent(c, lag)
			continue
		}
		b.Status = state.StatusDone
		b.Adopted = true
		b.Error = nil
		b.InstanceIDs = ids
		if b.DealIDs == nil {
			b.DealIDs = []string{}
		}
		if err := x.journal([]state.JournalRecord{{Group: c.Group, Batch: b}}); err != nil {
			x.unsent(c, err)
			return append(send, calls[i+1:]...), err
		}
		x.res.Done++
		x.res.Adopted += len(ids)
		x.res.Outcomes = append(x.res.Outcomes, &Outcome{Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum,
			Resume: true, Status: state.StatusDone, InstanceIDs: ids, Attempts: b.Attempts, Adopted: true})
		x.emit(Event{Type: EventCallAdopted, Group: c.Group, Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum,
			Resume: true, InstanceIDs: ids, Marker: m})
	}
	return send, nil
}

// lookBeforeResend is asked by the retry loop before an attempt that follows a failed one.
// When that failure may hide a purchase (it was not an answer of the API saying nothing was
// bought), the call's marker is looked up first: the API's memory of tokens may be short,
// and resending would then buy again. It reports whether to stop, and the error the call
// then ends with: nil when every instance asked for was found (adopted), ErrListingLags
// when only some were, ErrNotListed when none, the lookup's failure when it fails. It runs
// in the call's goroutine and touches only j.
func (x *applier) lookBeforeResend(ctx context.Context, j *job, last error) (bool, error) {
	m := j.batch.Marker
	if m == "" || answeredUnbought(last) {
		return false, nil
	}
	c := j.call
	ids, err := LookupMarker(ctx, x.opts.Client, m)
	switch {
	case err != nil:
		return true, fmt.Errorf("call %s #%d: %w (an earlier attempt may have bought; the call stays pending and is not sent again until its instances can be looked up)", c.Group, c.Seq, err)
	case len(ids) >= c.GoodsNum:
		j.found, j.adopted = ids, true
		return true, nil
	case len(ids) > 0:
		j.found = ids
		return true, fmt.Errorf("call %s #%d: %d of %d instances found by marker %s: %w; the call stays pending and the next apply looks again", c.Group, c.Seq, len(ids), c.GoodsNum, m, ErrListingLags)
	}
	return true, fmt.Errorf("call %s #%d: marker %s: %w; the call stays pending and the next apply looks again before it resends", c.Group, c.Seq, m, ErrNotListed)
}
