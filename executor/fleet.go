package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"fleet/internal/cvm"
	"fleet/internal/state"
	"fleet/planner"
)

// FoundInstance is an instance of the cloud whose name carries a marker of the fleet.
type FoundInstance struct {
	ID     string
	Name   string // as the cloud reports it
	ZoneID int
	Status int    // DescribeInstances status
	Marker string // the fleet's marker the name carries
	Base   string // the name without the marker
}

// FindFleet returns every instance whose name carries, as a whole word, a marker of the
// fleet (planner.FleetMarkerOf), sorted by id. It asks DescribeInstances once with the
// fleet's search word (planner.FleetSearchWord), whose pages the client walks; the search
// matches any part of a name, so an instance whose name merely contains the word is left
// out. Instances named before markers carried the fleet's tag cannot be found this way.
//
// c should be wrapped with the same retry and rate-limit decorators as an apply.
func FindFleet(ctx context.Context, c Lister, fleet, region string) ([]FoundInstance, error) {
	word, tag := planner.FleetSearchWord(fleet, region), planner.FleetTag(fleet, region)
	list, err := c.DescribeInstances(ctx, cvm.DescribeFilter{SearchWord: word})
	if err != nil {
		return nil, fmt.Errorf("look up the instances of fleet %s (%s): %w", fleet, word, err)
	}
	seen := make(map[string]bool, len(list))
	var out []FoundInstance
	for _, in := range list {
		if in.ID == "" || seen[in.ID] {
			continue
		}
		m, base, ok := planner.FleetMarkerOf(in.Name, tag)
		if !ok {
			continue
		}
		seen[in.ID] = true
		out = append(out, FoundInstance{ID: in.ID, Name: in.Name, ZoneID: in.ZoneID, Status: in.Status, Marker: m, Base: base})
	}
	slices.SortFunc(out, func(a, b FoundInstance) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Unrecorded returns the instances of found that no group of st records, in their order.
// st may be nil: no state records anything.
func Unrecorded(st *state.State, found []FoundInstance) []FoundInstance {
	recorded := recordedIDs(st)
	var out []FoundInstance
	for _, in := range found {
		if !recorded[in.ID] {
			out = append(out, in)
		}
	}
	return out
}

// unclaimed returns the instances of found that st neither records nor expects: an
// instance that carries the marker of a batch still pending is that call's purchase, whose
// answer was lost, and apply adopts it when it resolves the call.
func unclaimed(st *state.State, found []FoundInstance) []FoundInstance {
	pending := pendingMarkers(st)
	var out []FoundInstance
	for _, in := range Unrecorded(st, found) {
		if !pending[in.Marker] {
			out = append(out, in)
		}
	}
	return out
}

// pendingMarkers returns the markers recorded by the batches of st whose outcome is unknown.
func pendingMarkers(st *state.State) map[string]bool {
	m := map[string]bool{}
	if st == nil {
		return m
	}
	for _, g := range st.Groups {
		if g == nil {
			continue
		}
		for _, b := range g.Batches {
			if b != nil && b.Status == state.StatusPending && b.Marker != "" {
				m[b.Marker] = true
			}
		}
	}
	return m
}

// recordedIDs returns the ids of every instance st records, in any group, as an instance or
// in a batch's answer.
func recordedIDs(st *state.State) map[string]bool {
	ids := map[string]bool{}
	if st == nil {
		return ids
	}
	for _, g := range st.Groups {
		if g == nil {
			continue
		}
		for _, in := range g.Instances {
			if in != nil {
				ids[in.ID] = true
			}
		}
		for _, b := range g.Batches {
			if b != nil {
				for _, id := range b.InstanceIDs {
					ids[id] = true
				}
			}
		}
	}
	return ids
}

// ErrUnrecordedInstances is matched (errors.Is) by GuardReport.Err: instances of the fleet
// exist that the state does not record, so apply buys nothing.
var ErrUnrecordedInstances = errors.New("instances of the fleet exist that the state does not record")

// UnknownGroup is the name under which reports count the instances whose group neither their
// marker nor their name tells.
const UnknownGroup = "unknown group"

// GuardReport is what CheckEmptyState found: instances of the fleet that the state does not
// record while the plan buys for groups the state does not know. Apply buys nothing while a
// report holds unrecorded instances; `fleet state recover` adopts them.
type GuardReport struct {
	Fleet  string
	Region string
	// NewGroups are the groups the plan buys for that the state does not know (no record,
	// or a record without batches), sorted.
	NewGroups []string
	// Unrecorded are the instances of the fleet the state does not record, sorted by id.
	Unrecorded []FoundInstance
	// Groups counts the unrecorded instances per group of the plan or the state, where the
	// marker (a marker a batch recorded or a call of the plan uses) or the name (the group's
	// instance name) tells.
	Groups map[string]int
	// Unknown counts the unrecorded instances whose group cannot be told.
	Unknown int

	buying map[string]bool // groups the plan has calls for
}

// CheckEmptyState keeps an empty or partial state from being taken as a licence to buy.
// When the plan buys for at least one group that st does not know (st nil, no record of the
// group, or a record without batches), it looks the whole fleet up (FindFleet) and returns a
// report of the instances that carry the fleet's marker and that st does not record. It
// returns nil when the plan buys only for groups the state knows (without a lookup) or when
// every instance found is recorded: instances the state records never block anything. An
// error means the check could not be made; the caller must not buy then.
func CheckEmptyState(ctx context.Context, c Lister, p *planner.Plan, st *state.State) (*GuardReport, error) {
	if p == nil {
		return nil, errors.New("check for unrecorded instances: no plan")
	}
	fresh := NewGroups(p, st)
	if len(fresh) == 0 {
		return nil, nil
	}
	found, err := FindFleet(ctx, c, p.Fleet, p.Region)
	if err != nil {
		return nil, fmt.Errorf("check for unrecorded instances: %w", err)
	}
	unrec := unclaimed(st, found)
	if len(unrec) == 0 {
		return nil, nil
	}
	r := &GuardReport{Fleet: p.Fleet, Region: p.Region, NewGroups: fresh, Unrecorded: unrec,
		Groups: map[string]int{}, buying: map[string]bool{}}
	at := newAttributor(p, st)
	for _, in := range unrec {
		if g := at.group(in); g != "" {
			r.Groups[g]++
		} else {
			r.Unknown++
		}
	}
	for _, g := range p.Groups {
		if len(g.Calls) > 0 {
			r.buying[g.Name] = true
		}
	}
	return r, nil
}

// NewGroups returns the names of the groups p buys for (a call that is not resumed) that st
// does not know: no record, or a record without batches. It is sorted, as p.Groups is.
func NewGroups(p *planner.Plan, st *state.State) []string {
	var out []string
	for _, g := range p.Groups {
		buys := slices.ContainsFunc(g.Calls, func(c *planner.Call) bool { return !c.Resume })
		if !buys {
			continue
		}
		var sg *state.Group
		if st != nil {
			sg = st.Groups[g.Name]
		}
		if sg == nil || len(sg.Batches) == 0 {
			out = append(out, g.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Blocks reports whether the report stops apply from making the calls of group: it does for
// every group the plan has calls for as long as unrecorded instances exist, not only for the
// groups the state does not know, since the lost record may be of any group. A nil report
// blocks nothing.
func (r *GuardReport) Blocks(group string) bool {
	return r != nil && len(r.Unrecorded) > 0 && r.buying[group]
}

// Message explains the report in a few lines for a person: that nothing was bought, how many
// unrecorded instances of the fleet exist and in which groups, and how to adopt them. It is
// "" for a nil report.
func (r *GuardReport) Message() string {
	if r == nil || len(r.Unrecorded) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Nothing was bought: %s of fleet %q in %s carry its marker (%s) but the state does not record them.\n",
		plural(len(r.Unrecorded), "instance"), r.Fleet, r.Region, planner.FleetSearchWord(r.Fleet, r.Region))
	for _, name := range slices.Sorted(maps.Keys(r.Groups)) {
		fmt.Fprintf(&b, "  %s: %d\n", name, r.Groups[name])
	}
	if r.Unknown > 0 {
		fmt.Fprintf(&b, "  %s: %d\n", UnknownGroup, r.Unknown)
	}
	if len(r.NewGroups) > 0 {
		fmt.Fprintf(&b, "The plan buys for %s, which the state does not know: its record may have been lost, and buying now could buy them again.\n",
			groupList(r.NewGroups))
	}
	b.WriteString("Run `fleet state recover` to adopt them into the state, then apply again.")
	return b.String()
}

// Err returns the report as an error matching ErrUnrecordedInstances, with Message as its
// text, or nil for a nil report or one without unrecorded instances.
func (r *GuardReport) Err() error {
	if r == nil || len(r.Unrecorded) == 0 {
		return nil
	}
	return &guardError{r}
}

// guardError is the error form of a GuardReport.
type guardError struct{ r *GuardReport }

func (e *guardError) Error() string { return e.r.Message() }
func (e *guardError) Unwrap() error { return ErrUnrecordedInstances }

// Report returns the report the error was made from, for callers that reach it through an
// interface { Report() *GuardReport }.
func (e *guardError) Report() *GuardReport { return e.r }

// plural returns n and the noun, in the plural unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// groupList names groups for a sentence: "group web" or "groups api, web".
func groupList(names []string) string {
	if len(names) == 1 {
		return "group " + names[0]
	}
	return "groups " + strings.Join(names, ", ")
}

// attributor tells the group of an instance of the fleet by its marker or its name.
type attributor struct {
	byMarker map[string]string // marker -> group; "" when two groups claim it
	byName   map[string]string // nameKey of an instance name -> group; "" when two groups claim it
	calls    map[string]map[string]*planner.Call
	batches  map[string]map[string]*state.Batch
}

// newAttributor collects the markers and instance names of the groups of p and st: the
// markers the state's batches recorded (or carry in their parameters, planner.BatchMarker)
// and the markers the plan's calls use, and the instance names of both without marker.
func newAttributor(p *planner.Plan, st *state.State) *attributor {
	a := &attributor{byMarker: map[string]string{}, byName: map[string]string{},
		calls: map[string]map[string]*planner.Call{}, batches: map[string]map[string]*state.Batch{}}
	if st != nil {
		for _, name := range st.GroupNames() {
			g := st.Groups[name]
			if g == nil {
				continue
			}
			for _, b := range g.Batches {
				if b == nil {
					continue
				}
				if m := planner.BatchMarker(p.Fleet, p.Region, p.ProjectID, name, b); m != "" && claim(a.byMarker, m, name) {
					if a.batches[name] == nil {
						a.batches[name] = map[string]*state.Batch{}
					}
					a.batches[name][m] = b
				}
				if n, ok := b.Params["instanceName"]; ok {
					claim(a.byName, nameKey(n), name)
				}
			}
		}
	}
	for _, g := range p.Groups {
		for _, c := range g.Calls {
			if m := p.GroupCallMarker(g, c); m != "" && claim(a.byMarker, m, g.Name) {
				if a.calls[g.Name] == nil {
					a.calls[g.Name] = map[string]*planner.Call{}
				}
				a.calls[g.Name][m] = c
			}
			if n, ok := c.Params["instanceName"]; ok {
				claim(a.byName, nameKey(n), g.Name)
			}
		}
	}
	return a
}

// claim records that key belongs to group in m, or marks it claimed by several groups. It
// reports whether group holds the key.
func claim(m map[string]string, key, group string) bool {
	if old, ok := m[key]; ok && old != group {
		m[key] = ""
		return false
	}
	m[key] = group
	return true
}

// group returns the group of in: the group whose batch or call uses its marker, else the one
// whose instance name is its name without marker, else "".
func (a *attributor) group(in FoundInstance) string {
	if g := a.byMarker[in.Marker]; g != "" {
		return g
	}
	return a.byName[nameKey(in.Base)]
}

// sampleMarker has the length of every marker of the current form; nameKey cuts names with it.
var sampleMarker = planner.Marker("", "", 0, "", 0, nil)

// nameKey returns an instance name without its marker (if it carries one), cut as MarkName
// cuts a name for a marker of the current form, so that a name and the same name marked and
// cut compare equal.
func nameKey(name string) string {
	base, _, ok := planner.SplitMarker(name)
	if !ok {
		base = name
	}
	k, _, _ := planner.SplitMarker(planner.MarkName(base, sampleMarker))
	return k
}
