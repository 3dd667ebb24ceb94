package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestComputeGroups(t *testing.T) {
	st := boughtState(map[string]int{"cache": 3})
	f := testFleet(testGroup("web", 3), testGroup("api", 2), testGroup("cache", 1))
	p := ComputeWith(f, st, Options{Groups: []string{"web"}})
	var names []string
	for _, g := range p.Groups {
		names = append(names, g.Name)
	}
	if diff := cmp.Diff([]string{"web"}, names); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{CodeTargeted}, codes(p.Diagnostics)); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if p.Summary.Purchase != 3 || !p.Applyable() {
		t.Errorf("summary %+v, applyable %v; want 3 instances, applyable", p.Summary, p.Applyable())
	}

	p = ComputeWith(f, st, Options{Groups: []string{"cache", "nope"}})
	if diff := cmp.Diff([]string{CodeNoSuchGroup, CodeTargeted}, codes(p.Diagnostics)); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if p.Applyable() {
		t.Error("a plan naming no such group is applyable")
	}
}

func TestComputeGroupsForEach(t *testing.T) {
	f := testFleet(testGroup("web[a]", 1), testGroup("web[b]", 1), testGroup("webby", 1))
	p := ComputeWith(f, nil, Options{Groups: []string{"web"}})
	var names []string
	for _, g := range p.Groups {
		names = append(names, g.Name)
	}
	if diff := cmp.Diff([]string{"web[a]", "web[b]"}, names); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}
