package state

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// bigState returns a state of groups groups of per instances each, every group bought in
// one done call with a full set of parameters.
func bigState(groups, per int) *State {
	s := &State{FormatVersion: FormatVersion, Lineage: testLineage, Fleet: "prod", Region: "ap-guangzhou", Groups: make(map[string]*Group, groups)}
	for g := range groups {
		ids := make([]string, per)
		for i := range ids {
			ids[i] = fmt.Sprintf("ins-%04x%04x", g, i)
		}
		s.Apply(JournalRecord{Group: fmt.Sprintf("group-%05d", g), Batch: doneBatch(0, ids...)})
	}
	return s
}

// The figures of DESIGN.md: 200,000 instances in 20,000 groups.
const benchGroups, benchPerGroup = 20000, 10

// benchSizes are the state sizes of the Read and Write benchmarks, in groups of
// benchPerGroup instances: growth from 2,000 to 20,000 groups shows the cost is linear.
var benchSizes = []int{benchGroups / 10, benchGroups}

func BenchmarkWrite(b *testing.B) {
	for _, groups := range benchSizes {
		b.Run(fmt.Sprintf("groups=%d/instances=%d", groups, groups*benchPerGroup), func(b *testing.B) {
			s := bigState(groups, benchPerGroup)
			path := filepath.Join(b.TempDir(), "fleet.state.json")
			for b.Loop() {
				if err := Write(path, s); err != nil {
					b.Fatal(err)
				}
			}
			if fi, err := os.Stat(path); err == nil {
				b.ReportMetric(float64(fi.Size())/1e6, "MB")
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	for _, groups := range benchSizes {
		b.Run(fmt.Sprintf("groups=%d/instances=%d", groups, groups*benchPerGroup), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "fleet.state.json")
			if err := Write(path, bigState(groups, benchPerGroup)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				got, err := Read(path)
				if err != nil {
					b.Fatal(err)
				}
				if got.InstanceCount() != groups*benchPerGroup {
					b.Fatalf("read %d instances", got.InstanceCount())
				}
			}
		})
	}
}

// BenchmarkJournalAppend appends one record a call. Append touches only the journal, never
// the state, so its cost is one small write and one fsync whatever the state's size; in
// parallel, records share commits.
func BenchmarkJournalAppend(b *testing.B) {
	s := New("prod", "ap-guangzhou")
	path := filepath.Join(b.TempDir(), "fleet.state.json")
	j, err := OpenJournal(path, s)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	var seq atomic.Int64
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			n := int(seq.Add(1))
			if err := j.Append(JournalRecord{Group: "bench", Batch: doneBatch(n, fmt.Sprintf("ins-b%07d", n))}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		before := j.commits
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := int(seq.Add(1))
				if err := j.Append(JournalRecord{Group: "bench", Batch: doneBatch(n, fmt.Sprintf("ins-b%07d", n))}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/float64(max(1, j.commits-before)), "records/commit")
	})
}
