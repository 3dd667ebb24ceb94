package executor

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"fleet/internal/state"
	"fleet/planner"
)

// RecoverReport sums up RecoverRecords.
type RecoverReport struct {
	// Adopted are the ids of the instances the records adopt, sorted, by group.
	Adopted map[string][]string
	// Unattributed are the unrecorded instances whose group neither their marker nor their
	// name tells. They are not adopted: `fleet import GROUP ID...` adopts them into a group.
	Unattributed []FoundInstance
	// Recorded counts the instances found that the state records already.
	Recorded int
}

// Instances returns how many instances the records adopt.
func (r *RecoverReport) Instances() int {
	n := 0
	for _, ids := range r.Adopted {
		n += len(ids)
	}
	return n
}

// RecoverRecords returns the journal records that adopt into st the instances of found (see
// FindFleet) that st does not record, for a state that was lost or lost part of its record,
// and a report of what they do. p is the plan of the spec against st: it tells the groups
// and the calls whose markers the instances may carry. It is a pure function: no I/O, no
// clock (now stamps the records).
//
// Each instance goes to the group its marker or its name tells (as CheckEmptyState counts
// them); the instances of one group that share a marker make one batch, done and Adopted,
// with its Marker and its instance ids sorted:
//   - the group's batch that recorded the marker, recorded again with the instances added
//     (and done, if it was pending or failed);
//   - else, when the marker is the one a new call of the plan uses, the batch of that call:
//     a run batch with its seq, client token and parameters, so that planning again sees the
//     purchase made and buys only what is still missing, with later seqs;
//   - else an import batch (no token, no parameters: what it was bought with is not known)
//     of as many instances as were found, with the group's next free seq.
//
// Instances whose group cannot be told are not adopted; the report lists them. Applying the
// records in order (state.State.Apply, or a journal) gives the recovered state.
func RecoverRecords(p *planner.Plan, st *state.State, found []FoundInstance, now time.Time) (recs []state.JournalRecord, report RecoverReport) {
	report.Adopted = map[string][]string{}
	now = now.UTC()
	var unique []FoundInstance
	seen := map[string]bool{}
	for _, in := range found {
		if in.ID != "" && !seen[in.ID] {
			seen[in.ID] = true
			unique = append(unique, in)
		}
	}
	unrec := Unrecorded(st, unique)
	report.Recorded = len(unique) - len(unrec)
	if p == nil {
		report.Unattributed = unrec
		return nil, report
	}

	at := newAttributor(p, st)
	byGroup := map[string]map[string][]string{} // group -> marker -> ids
	for _, in := range unrec {
		g := at.group(in)
		if g == "" {
			report.Unattributed = append(report.Unattributed, in)
			continue
		}
		if byGroup[g] == nil {
			byGroup[g] = map[string][]string{}
		}
		byGroup[g][in.Marker] = append(byGroup[g][in.Marker], in.ID)
	}

	for _, group := range slices.Sorted(maps.Keys(byGroup)) {
		var sg *state.Group
		if st != nil {
			sg = st.Groups[group]
		}
		used := map[int]bool{}
		next := 0
		if sg != nil {
			for _, b := range sg.Batches {
				if b != nil {
					used[b.Seq] = true
					next = max(next, b.Seq+1)
				}
			}
		}
		var known, imports []*state.Batch
		for _, m := range slices.Sorted(maps.Keys(byGroup[group])) {
			ids := slices.Sorted(slices.Values(byGroup[group][m]))
			report.Adopted[group] = append(report.Adopted[group], ids...)
			if b := at.batches[group][m]; b != nil {
				known = append(known, readopt(b, m, ids, now))
				continue
			}
			if c := at.calls[group][m]; c != nil && !c.Resume && !used[c.Seq] {
				used[c.Seq] = true
				b := &state.Batch{Seq: c.Seq, Kind: state.KindRun, ClientToken: c.ClientToken, Marker: m,
					GoodsNum: c.GoodsNum, Params: copyParams(c.Params), Status: state.StatusDone, DealIDs: []string{},
					InstanceIDs: ids, Adopted: true, CreatedAt: now, UpdatedAt: now}
				if len(ids) < c.GoodsNum {
					// The listing may lag the purchase: the call stays pending, and apply
					// resolves it by its marker once the listing is complete or the call old.
					b.Status, b.Adopted = state.StatusPending, false
				}
				known = append(known, b)
				next = max(next, c.Seq+1)
				continue
			}
			imports = append(imports, &state.Batch{Kind: state.KindImport, Marker: m, GoodsNum: len(ids),
				Status: state.StatusDone, DealIDs: []string{}, InstanceIDs: ids, Adopted: true, CreatedAt: now, UpdatedAt: now})
		}
		slices.SortFunc(known, func(a, b *state.Batch) int { return cmp.Compare(a.Seq, b.Seq) })
		for _, b := range imports {
			b.Seq = next
			next++
		}
		for _, b := range append(known, imports...) {
			recs = append(recs, state.JournalRecord{Group: group, Batch: b})
		}
		slices.Sort(report.Adopted[group])
	}
	slices.SortFunc(report.Unattributed, func(a, b FoundInstance) int { return strings.Compare(a.ID, b.ID) })
	return recs, report
}

// readopt returns a recorded batch again with ids added to its instances: done, Adopted,
// with its marker. A pending batch that would hold fewer instances than it asked for stays
// pending while it is younger than ListingLag: the listing may lag the purchase.
func readopt(b *state.Batch, marker string, ids []string, now time.Time) *state.Batch {
	nb := b.Clone()
	nb.Marker = marker
	nb.InstanceIDs = slices.Compact(slices.Sorted(slices.Values(append(nb.InstanceIDs, ids...))))
	if nb.DealIDs == nil {
		nb.DealIDs = []string{}
	}
	nb.UpdatedAt = now
	if nb.Status == state.StatusPending && len(nb.InstanceIDs) < nb.GoodsNum && now.Sub(nb.CreatedAt) < ListingLag {
		return nb
	}
	if nb.Status != state.StatusDone {
		nb.Status = state.StatusDone
		nb.Error = nil
	}
	nb.Adopted = true
	return nb
}
