package state

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"fleet/internal/secret"
)

// New returns a fresh, empty state of a fleet with a random lineage and serial 0.
func New(fleet, region string) *State {
	return &State{
		FormatVersion: FormatVersion,
		Lineage:       newLineage(),
		Fleet:         fleet,
		Region:        region,
		Groups:        map[string]*Group{},
	}
}

// newLineage returns a random identifier in the form of a version 4 UUID.
func newLineage() string {
	var b [16]byte
	// crypto/rand.Read never returns an error and always fills b.
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Group returns the named group, or nil if the state has none of that name.
func (s *State) Group(name string) *Group {
	return s.Groups[name]
}

// GroupNames returns the names of the state's groups, sorted.
func (s *State) GroupNames() []string {
	names := make([]string, 0, len(s.Groups))
	for name := range s.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// InstanceGroup returns the name of the group that records the instance id.
func (s *State) InstanceGroup(id string) (string, bool) {
	for name, g := range s.Groups {
		if g.Instance(id) != nil {
			return name, true
		}
	}
	return "", false
}

// RemoveGroup deletes the group's record from the state and reports whether it was there.
// The instances themselves are not touched: they keep running.
func (s *State) RemoveGroup(name string) bool {
	if _, ok := s.Groups[name]; !ok {
		return false
	}
	delete(s.Groups, name)
	return true
}

// InstanceCount returns the number of instances recorded in all groups, gone ones included.
func (s *State) InstanceCount() int {
	n := 0
	for _, g := range s.Groups {
		if g != nil {
			n += len(g.Instances)
		}
	}
	return n
}

// Current returns the number of the group's instances that are not known to be gone.
func (g *Group) Current() int {
	n := 0
	for _, in := range g.Instances {
		if !in.Gone() {
			n++
		}
	}
	return n
}

// PendingBatches returns the group's batches whose outcome is not known yet, in Seq order.
func (g *Group) PendingBatches() []*Batch {
	var out []*Batch
	for _, b := range g.Batches {
		if b.Status == StatusPending {
			out = append(out, b)
		}
	}
	return out
}

// NextSeq returns the Seq the group's next batch takes: one more than the highest recorded,
// 0 for a group without batches. A failed batch keeps its Seq, so a retry gets a new one.
func (g *Group) NextSeq() int {
	if len(g.Batches) == 0 {
		return 0
	}
	return g.Batches[len(g.Batches)-1].Seq + 1
}

// Batch returns the group's batch of the given Seq, or nil.
func (g *Group) Batch(seq int) *Batch {
	i, ok := slices.BinarySearchFunc(g.Batches, seq, func(b *Batch, seq int) int { return b.Seq - seq })
	if !ok {
		return nil
	}
	return g.Batches[i]
}

// Instance returns the group's instance of the given id, or nil.
func (g *Group) Instance(id string) *Instance {
	i, ok := slices.BinarySearchFunc(g.Instances, id, func(in *Instance, id string) int { return strings.Compare(in.ID, id) })
	if !ok {
		return nil
	}
	return g.Instances[i]
}

// Apply replays one journal record onto the state: the group's batch of the record's Seq is
// replaced (or inserted in Seq order), the group is created if needed, and the instances of a
// done or import batch are recorded, each once. Applying a record twice changes nothing, so a
// journal may be replayed onto a state that already holds it. A record without a group or a
// batch is ignored; Journal.Append and the journal reader reject such records.
//
// Instance ids recorded by a batch of any status become instances: an id the API returned
// was bought, and fleet never forgets an instance.
func (s *State) Apply(r JournalRecord) {
	if r.Group == "" {
		return
	}
	if r.Instance != nil {
		s.applyInstance(r.Group, r.Instance)
		return
	}
	if r.Batch == nil {
		return
	}
	if s.Groups == nil {
		s.Groups = map[string]*Group{}
	}
	g := s.Groups[r.Group]
	if g == nil {
		g = &Group{Batches: []*Batch{}, Instances: []*Instance{}}
		s.Groups[r.Group] = g
	}
	b := r.Batch.Clone()
	i, found := slices.BinarySearchFunc(g.Batches, b.Seq, func(x *Batch, seq int) int { return x.Seq - seq })
	if found {
		g.Batches[i] = b
	} else {
		g.Batches = slices.Insert(g.Batches, i, b)
	}
	g.addInstances(b.InstanceIDs, b.Seq)
}

// applyInstance replays an instance update. An instance the group does not record is left
// alone: the update came from a call on an instance the record has since forgotten.
func (s *State) applyInstance(group string, u *InstanceRecord) {
	g := s.Groups[group]
	if g == nil {
		return
	}
	in := g.Instance(u.ID)
	if in == nil {
		return
	}
	switch {
	case u.Renewing != nil:
		r := *u.Renewing
		in.Renewing = &r
	case u.Renewed:
		in.Renewing = nil
	}
	if u.Deadline != nil {
		d := u.Deadline.UTC()
		in.Deadline = &d
		if !u.Computed {
			at := u.At.UTC()
			in.StatusAt = &at
		}
	}
	if u.AutoRenew != nil {
		n := *u.AutoRenew
		in.AutoRenew = &n
	}
}

// addInstances records the ids not yet in the group as instances of batch seq, keeping the
// instances sorted by id. Its cost is linear in the group's size, not in the state's.
func (g *Group) addInstances(ids []string, seq int) {
	var add []*Instance
	for _, id := range ids {
		if id == "" || g.Instance(id) != nil {
			continue
		}
		if slices.ContainsFunc(add, func(in *Instance) bool { return in.ID == id }) {
			continue
		}
		add = append(add, &Instance{ID: id, Batch: seq})
	}
	if len(add) == 0 {
		return
	}
	g.Instances = append(g.Instances, add...)
	sortInstances(g.Instances)
}

func sortInstances(ins []*Instance) { slices.SortStableFunc(ins, cmpInstance) }

func sortBatches(bs []*Batch) { slices.SortStableFunc(bs, cmpBatch) }

// Clone returns a deep copy of the batch.
func (b *Batch) Clone() *Batch {
	c := *b
	c.Params = maps.Clone(b.Params)
	c.DealIDs = slices.Clone(b.DealIDs)
	c.InstanceIDs = slices.Clone(b.InstanceIDs)
	if b.Error != nil {
		e := *b.Error
		c.Error = &e
	}
	return &c
}

// normalize puts the state in its canonical form: no nil maps or slices, batches sorted by
// Seq and instances by id. Read and Write both normalize, so a round trip is stable.
func (s *State) normalize() {
	if s.Groups == nil {
		s.Groups = map[string]*Group{}
	}
	for _, g := range s.Groups {
		if g == nil {
			continue
		}
		if g.Batches == nil {
			g.Batches = []*Batch{}
		}
		if g.Instances == nil {
			g.Instances = []*Instance{}
		}
		for _, b := range g.Batches {
			if b == nil {
				continue
			}
			if b.DealIDs == nil {
				b.DealIDs = []string{}
			}
			if b.InstanceIDs == nil {
				b.InstanceIDs = []string{}
			}
		}
		for _, in := range g.Instances {
			// An empty list of addresses is written as none, and read back as nil.
			if in != nil && len(in.PrivateIPs) == 0 {
				in.PrivateIPs = nil
			}
			if in != nil && len(in.PublicIPs) == 0 {
				in.PublicIPs = nil
			}
		}
		if !slices.IsSortedFunc(g.Batches, cmpBatch) {
			sortBatches(g.Batches)
		}
		if !slices.IsSortedFunc(g.Instances, cmpInstance) {
			sortInstances(g.Instances)
		}
	}
}

// cmpBatch orders batches by Seq. A null batch of a damaged file sorts first, so that
// sorting never fails and Validate reports it.
func cmpBatch(a, b *Batch) int {
	if a == nil || b == nil {
		return cmpNil(a == nil, b == nil)
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// cmpInstance orders instances by id, a null one first as in cmpBatch.
func cmpInstance(a, b *Instance) int {
	if a == nil || b == nil {
		return cmpNil(a == nil, b == nil)
	}
	return strings.Compare(a.ID, b.ID)
}

// cmpNil orders a null before a value, two nulls as equal.
func cmpNil(aNil, bNil bool) int {
	switch {
	case aNil == bNil:
		return 0
	case aNil:
		return -1
	}
	return 1
}

// Validate checks the state's invariants: a lineage, known statuses and kinds, unique batch
// seqs in each group, instance ids unique within each group, every instance tied to a
// batch of its group, and no secret recorded in clear. It reports the first problem found,
// naming the group and batch or instance.
func (s *State) Validate() error {
	if s.FormatVersion != FormatVersion {
		return fmt.Errorf("format_version %q, want %q", s.FormatVersion, FormatVersion)
	}
	if s.Lineage == "" {
		return fmt.Errorf("lineage is empty")
	}
	owner := make(map[string]string, s.InstanceCount())
	for _, name := range s.GroupNames() {
		g := s.Groups[name]
		if name == "" {
			return fmt.Errorf("a group has an empty name")
		}
		if g == nil {
			return fmt.Errorf("group %q is null", name)
		}
		if err := g.validate(name, owner); err != nil {
			return fmt.Errorf("group %q: %w", name, err)
		}
	}
	return nil
}

func (g *Group) validate(name string, owner map[string]string) error {
	seqs := make(map[int]bool, len(g.Batches))
	for i, b := range g.Batches {
		if b == nil {
			return fmt.Errorf("batch #%d is null", i)
		}
		if err := b.validate(); err != nil {
			return fmt.Errorf("batch %d: %w", b.Seq, err)
		}
		if seqs[b.Seq] {
			return fmt.Errorf("batch seq %d appears twice", b.Seq)
		}
		seqs[b.Seq] = true
	}
	for i, in := range g.Instances {
		if in == nil {
			return fmt.Errorf("instance #%d is null", i)
		}
		if in.ID == "" {
			return fmt.Errorf("instance #%d has an empty id", i)
		}
		// An id in two groups is a conflict the plan reports (an answer naming an instance
		// imported elsewhere meanwhile): it must never make the state unreadable.
		if other, ok := owner[in.ID]; ok && other == name {
			return fmt.Errorf("instance %s appears twice", in.ID)
		}
		owner[in.ID] = name
		if !seqs[in.Batch] {
			return fmt.Errorf("instance %s: batch %d is not recorded", in.ID, in.Batch)
		}
	}
	return nil
}

func (b *Batch) validate() error {
	if b.Seq < 0 {
		return fmt.Errorf("negative seq")
	}
	switch b.Kind {
	case KindRun, KindImport:
	default:
		return fmt.Errorf("unknown kind %q (want %q or %q)", b.Kind, KindRun, KindImport)
	}
	switch b.Status {
	case StatusPending, StatusDone, StatusFailed:
	default:
		return fmt.Errorf("unknown status %q (want %q, %q or %q)", b.Status, StatusPending, StatusDone, StatusFailed)
	}
	if b.GoodsNum < 0 {
		return fmt.Errorf("negative goods_num %d", b.GoodsNum)
	}
	for k, v := range b.Params {
		if secret.IsParam(k) && !secret.IsHash(v) {
			return fmt.Errorf("parameter %s holds a secret in clear; only its hash may be recorded", k)
		}
	}
	return nil
}
