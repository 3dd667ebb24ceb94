package state

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNew(t *testing.T) {
	a, b := New("prod", "ap-guangzhou"), New("prod", "ap-guangzhou")
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(a.Lineage) {
		t.Errorf("lineage %q is not UUID-like", a.Lineage)
	}
	if a.Lineage == b.Lineage {
		t.Errorf("two new states share the lineage %s", a.Lineage)
	}
	if a.Serial != 0 || a.FormatVersion != FormatVersion || a.Fleet != "prod" || a.Region != "ap-guangzhou" || a.Groups == nil {
		t.Errorf("New = %+v", a)
	}
	if err := a.Validate(); err != nil {
		t.Errorf("a new state is invalid: %v", err)
	}
}

func TestHelpers(t *testing.T) {
	s := sampleState()
	if got, want := s.GroupNames(), []string{"db", "legacy", "web"}; !cmp.Equal(got, want) {
		t.Errorf("GroupNames = %v, want %v", got, want)
	}
	if s.Group("nope") != nil {
		t.Errorf("Group of an unknown name is not nil")
	}
	web := s.Group("web")
	if got := web.Current(); got != 1 {
		t.Errorf("web.Current = %d, want 1 (one instance returned)", got)
	}
	if p := web.PendingBatches(); len(p) != 1 || p[0].Seq != 2 {
		t.Errorf("web.PendingBatches = %v, want the batch of seq 2", p)
	}
	if got := web.NextSeq(); got != 3 {
		t.Errorf("web.NextSeq = %d, want 3", got)
	}
	if got := (&Group{}).NextSeq(); got != 0 {
		t.Errorf("NextSeq of an empty group = %d, want 0", got)
	}
	if g, ok := s.InstanceGroup("ins-0legacy0"); !ok || g != "legacy" {
		t.Errorf("InstanceGroup(ins-0legacy0) = %q, %v", g, ok)
	}
	if _, ok := s.InstanceGroup("ins-missing"); ok {
		t.Errorf("InstanceGroup of an unknown id found one")
	}
	if web.Batch(1) == nil || web.Batch(1).Status != StatusFailed || web.Batch(9) != nil {
		t.Errorf("Batch lookup is wrong")
	}
	if !s.RemoveGroup("db") || s.RemoveGroup("db") || s.Group("db") != nil {
		t.Errorf("RemoveGroup did not remove db exactly once")
	}
}

func TestApply(t *testing.T) {
	s := New("prod", "gz")
	s.Apply(JournalRecord{Group: "web", Batch: pendingBatch(2, 2)})
	s.Apply(JournalRecord{Group: "web", Batch: pendingBatch(0, 1)})
	s.Apply(JournalRecord{Group: "web", Batch: doneBatch(2, "ins-b", "ins-a")})
	s.Apply(JournalRecord{Group: "web", Batch: doneBatch(2, "ins-b", "ins-a")})
	s.Apply(JournalRecord{Group: "web", Batch: failedBatch(0, 1)})
	s.Apply(JournalRecord{Group: "web"})                 // ignored
	s.Apply(JournalRecord{Batch: doneBatch(5, "ins-x")}) // ignored
	web := s.Group("web")
	var seqs []int
	for _, b := range web.Batches {
		seqs = append(seqs, b.Seq)
	}
	if !cmp.Equal(seqs, []int{0, 2}) {
		t.Errorf("batch seqs = %v, want [0 2]", seqs)
	}
	want := []*Instance{{ID: "ins-a", Batch: 2}, {ID: "ins-b", Batch: 2}}
	if d := cmp.Diff(want, web.Instances); d != "" {
		t.Errorf("instances (-want +got):\n%s", d)
	}
	if web.Batch(0).Status != StatusFailed || web.Batch(2).Status != StatusDone {
		t.Errorf("batches not replaced by their latest record")
	}
	if len(s.Groups) != 1 {
		t.Errorf("records without a group or batch created groups: %v", s.GroupNames())
	}
	if err := s.Validate(); err != nil {
		t.Errorf("state after Apply is invalid: %v", err)
	}

	// The record's batch is copied: changing it afterwards does not change the state.
	b := doneBatch(3, "ins-c")
	s.Apply(JournalRecord{Group: "web", Batch: b})
	b.InstanceIDs[0] = "ins-z"
	b.Params["cpu"] = "64"
	if got := web.Batch(3); got.InstanceIDs[0] != "ins-c" || got.Params["cpu"] != "2" {
		t.Errorf("Apply kept a reference to the record's batch")
	}

	// An instance status read later survives a replay of its batch.
	web.Instance("ins-a").Status = InstanceRunning
	s.Apply(JournalRecord{Group: "web", Batch: doneBatch(2, "ins-b", "ins-a")})
	if web.Instance("ins-a").Status != InstanceRunning {
		t.Errorf("replay reset an instance's status")
	}
}
