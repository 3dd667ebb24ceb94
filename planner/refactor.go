package planner

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"fleet/internal/state"
	"fleet/spec"
)

// Diagnostic codes of moves and removes found by the plan.
const (
	// CodeProbableRename is a group left in the state with live instances while a new group
	// of the same configuration is bought: most likely a rename without a moved block.
	CodeProbableRename = "probable-rename"
	// CodePrivateIPInUse is a new group asking for a private IP an instance of the state
	// holds.
	CodePrivateIPInUse = "private-ip-in-use"
	// CodeRemovedPending is a removed group with a call whose outcome is unknown.
	CodeRemovedPending = "removed-pending"
)

// movedState applies the spec's moves to a copy of st: the pure step before planning. Each
// recorded group whose name starts a chain of moves is renamed to the chain's end, its
// batches keeping the client tokens and markers they recorded (a batch recorded before
// batches kept their marker gets the one its old name gives). A move whose from is not in
// the state does nothing. It returns the copy, the old name of each moved group by its new
// name, and the errors: a destination that still holds a record, or two recorded groups
// that end at one place. st is not changed.
func movedState(f *spec.Fleet, st *state.State) (*state.State, map[string]string, hcl.Diagnostics) {
	if st == nil || len(f.Moved) == 0 {
		return st, nil, nil
	}
	byFrom := map[string]spec.Moved{}
	for _, m := range f.Moved {
		byFrom[m.From] = m
	}
	// The end of the chain that starts at name, and the block of its last step.
	end := func(name string) (string, spec.Moved, bool) {
		m, ok := byFrom[name]
		if !ok {
			return name, spec.Moved{}, false
		}
		seen := map[string]bool{name: true}
		last := m
		cur := m.To
		for {
			next, ok := byFrom[cur]
			if !ok || seen[cur] {
				break
			}
			seen[cur] = true
			last = next
			cur = next.To
		}
		return cur, last, true
	}
	out := *st
	out.Groups = make(map[string]*state.Group, len(st.Groups))
	maps.Copy(out.Groups, st.Groups)
	from := map[string]string{}
	var diags hcl.Diagnostics
	for _, name := range st.GroupNames() {
		to, m, ok := end(name)
		if !ok {
			continue
		}
		r := m.DeclRange
		if other, taken := from[to]; taken {
			diags = append(diags, spec.WithCode(spec.CodeMovedConflict, &hcl.Diagnostic{
				Severity: hcl.DiagError, Subject: &r, Summary: "Two recorded groups moved to one group",
				Detail: fmt.Sprintf("The state records both %q and %q, and the moved blocks move both to %q. One group's record cannot take two groups' records: remove the moved block of one of them, or move it elsewhere.", other, name, to),
			}))
			continue
		}
		if _, held := st.Groups[to]; held {
			if _, leaves := byFrom[to]; !leaves {
				diags = append(diags, spec.WithCode(spec.CodeMovedConflict, &hcl.Diagnostic{
					Severity: hcl.DiagError, Subject: &r, Summary: "Move to a group the state holds",
					Detail: fmt.Sprintf("The moved block moves %q to %q, but the state already records group %q (%s). Moving would mix the two records: move %q elsewhere, or remove the record of %q first (a removed block, or \"fleet state rm %s\").",
						name, to, to, countWord(st.Groups[to].Current(), "instance"), name, to, to),
				}))
				continue
			}
		}
		from[to] = name
	}
	for _, to := range slices.Sorted(maps.Keys(from)) {
		name := from[to]
		delete(out.Groups, name)
	}
	for _, to := range slices.Sorted(maps.Keys(from)) {
		name := from[to]
		out.Groups[to] = recordedIdentity(f, name, st.Groups[name])
	}
	return &out, from, diags
}

// recordedIdentity returns a copy of g whose batches all carry their marker: the one they
// recorded or, for a batch recorded before batches kept it, the one its group's old name
// gives. A group's new name then never changes a recorded call's identity.
func recordedIdentity(f *spec.Fleet, name string, g *state.Group) *state.Group {
	if g == nil {
		return nil
	}
	cp := &state.Group{Batches: make([]*state.Batch, len(g.Batches)), Instances: g.Instances}
	for i, b := range g.Batches {
		if b == nil {
			continue
		}
		nb := b.Clone()
		if nb.Marker == "" {
			nb.Marker = BatchMarker(f.Name, f.Region, f.ProjectID, name, b)
		}
		cp.Batches[i] = nb
	}
	return cp
}

// countWord formats "1 instance", "3 instances".
func countWord(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// planRemoved plans a group of a removed block that the state records: its record is
// forgotten by apply, nothing is returned. A group with a call whose outcome is unknown
// cannot be forgotten before that call is resolved.
func planRemoved(rm spec.Removed, sg *state.Group) (*GroupPlan, hcl.Diagnostics) {
	h := readHistory(sg)
	gp := &GroupPlan{Name: rm.From, Action: ActionRemove, Current: h.current, InstanceIDs: h.live}
	if rm.Lapse {
		// The instances lapse: set never to renew first; the record is forgotten once every
		// one of them is (Plan.ForgetLapsed).
		gp.Lapse = h.live
		var ids []string
		for _, in := range liveInstances(sg) {
			if flagOf(in) != state.AutoRenewNever {
				ids = append(ids, in.ID)
			}
		}
		if len(ids) > 0 {
			gp.Flags = []*FlagChange{{Flag: state.AutoRenewNever, InstanceIDs: ids}}
		}
	}
	if len(h.pending) == 0 {
		return gp, nil
	}
	for _, b := range h.pending {
		gp.Pending += b.GoodsNum
	}
	r := rm.DeclRange
	return gp, hcl.Diagnostics{spec.WithCode(CodeRemovedPending, &hcl.Diagnostic{
		Severity: hcl.DiagError, Subject: &r, Summary: "Removed group has a pending call",
		Detail: fmt.Sprintf("Group %q has %s whose outcome is unknown. Forgetting it now could leave a purchase unrecorded: remove this removed block, run \"fleet apply\" to resolve the call, then add the block again.",
			rm.From, countWord(len(h.pending), "pending call")),
	})}
}

// probableRenames reports each new group (no record, buying) whose configuration is the one
// an orphan group with live instances was bought with: most likely the same group renamed
// without a moved block, which would buy every instance again.
func probableRenames(f *spec.Fleet, p *Plan, recorded map[string]*state.Group) hcl.Diagnostics {
	var orphans []string
	for _, g := range p.Groups {
		if g.Action == ActionOrphan && g.Current > 0 {
			orphans = append(orphans, g.Name)
		}
	}
	if len(orphans) == 0 {
		return nil
	}
	var diags hcl.Diagnostics
	for _, g := range f.Groups {
		if recorded[g.Name] != nil || !g.Valid() {
			continue
		}
		gp := p.Group(g.Name)
		if gp == nil || len(gp.Calls) == 0 {
			continue
		}
		want := renameKey(maskInPlace(g.Config.Params()))
		for _, o := range orphans {
			last := readHistory(recorded[o]).lastDone
			if last == nil || renameKey(last.Params) != want {
				continue
			}
			r := g.DeclRange
			diags = append(diags, spec.WithCode(CodeProbableRename, &hcl.Diagnostic{
				Severity: hcl.DiagError, Subject: &r, Summary: "Probable rename",
				Detail: fmt.Sprintf("Group %q is new and has the configuration group %q was bought with, and %q is no longer in the spec but still has %s: this looks like a rename, and applying would buy %s again. "+
					"To rename, add:\n\nmoved {\n  from = %q\n  to   = %q\n}\n\nTo buy a new group anyway, keep %q in the spec, or stop managing it with a removed block (removed { from = %q  lapse = false }) or \"fleet state rm %s\".",
					g.Name, o, o, countWord(p.Group(o).Current, "live instance"), countWord(gp.Purchase, "instance"), o, g.Name, o, o, o),
			}))
			break
		}
	}
	return diags
}

// renameKey is the part of a configuration's parameters that tells two groups apart: all
// but goodsNum, clientToken, instanceName and the private IP.
func renameKey(params map[string]string) string {
	var b strings.Builder
	for _, k := range spec.SortedKeys(params) {
		switch k {
		case paramGoodsNum, paramToken, paramName, paramPrivateIP:
			continue
		}
		fmt.Fprintf(&b, "%s=%q\n", k, params[k])
	}
	return b.String()
}

// privateIPsInUse reports each private IP a new call asks for that an instance of another
// group of the state holds by its recorded purchase: the API refuses the call, or worse.
func privateIPsInUse(f *spec.Fleet, p *Plan, recorded map[string]*state.Group) hcl.Diagnostics {
	holder := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(recorded)) {
		sg := recorded[name]
		if sg == nil {
			continue
		}
		_, used := usedIPs(sg)
		for ip := range used {
			if _, ok := holder[ip]; !ok {
				holder[ip] = name
			}
		}
	}
	if len(holder) == 0 {
		return nil
	}
	var diags hcl.Diagnostics
	for _, g := range f.Groups {
		gp := p.Group(g.Name)
		if gp == nil {
			continue
		}
		for _, c := range gp.Calls {
			ip := c.Params[paramPrivateIP]
			owner, held := holder[ip]
			if c.Resume || ip == "" || !held || owner == g.Name {
				continue
			}
			r := g.DeclRange
			if pr, ok := g.Ranges["private_ips"]; ok {
				r = pr
			}
			diags = append(diags, spec.WithCode(CodePrivateIPInUse, &hcl.Diagnostic{
				Severity: hcl.DiagError, Subject: &r, Summary: "Private IP in use",
				Detail: fmt.Sprintf("Group %q asks for private IP %s, which an instance of group %q holds by its recorded purchase. If %q was renamed to %q, add a moved block (moved { from = %q  to = %q }); otherwise choose another address.",
					g.Name, ip, owner, owner, g.Name, owner, g.Name),
			}))
		}
	}
	return diags
}

// Refactor applies the plan's moves and removes to st, in place: each moved group's record
// takes its new name (its batches keeping their tokens and markers), each removed group's
// record is forgotten. It makes no call. It returns one line per change for the state's
// history ("moved api to backend (2 instances)"), none when the plan has no move or remove,
// and an error, with st unchanged, when st does not hold what the plan was made from.
func (p *Plan) Refactor(st *state.State) ([]string, error) {
	if st == nil {
		return nil, nil
	}
	f := &spec.Fleet{Name: p.Fleet, Region: p.Region, ProjectID: p.ProjectID}
	var lines []string
	moved := map[string]*state.Group{}
	for _, g := range p.Groups {
		switch {
		case g.MovedFrom != "":
			sg := st.Groups[g.MovedFrom]
			if sg == nil {
				return nil, fmt.Errorf("move %s to %s: the state records no group %s", g.MovedFrom, g.Name, g.MovedFrom)
			}
			if st.Groups[g.Name] != nil && !movesAway(p, g.Name) {
				return nil, fmt.Errorf("move %s to %s: the state already records group %s", g.MovedFrom, g.Name, g.Name)
			}
			moved[g.Name] = recordedIdentity(f, g.MovedFrom, sg)
			lines = append(lines, fmt.Sprintf("moved %s to %s (%s)", g.MovedFrom, g.Name, countWord(len(sg.Instances), "instance")))
		case g.Action == ActionRemove && len(g.Flags) > 0:
			// Its instances are set never to renew first: ForgetLapsed forgets it after.
		case g.Action == ActionRemove:
			sg := st.Groups[g.Name]
			if sg == nil {
				return nil, fmt.Errorf("remove %s: the state records no group %s", g.Name, g.Name)
			}
			if len(sg.PendingBatches()) > 0 {
				return nil, fmt.Errorf("remove %s: the group has a pending call; resolve it first", g.Name)
			}
			lines = append(lines, fmt.Sprintf("removed %s (%s forgotten)", g.Name, countWord(len(sg.Instances), "instance")))
		}
	}
	for _, g := range p.Groups {
		if g.MovedFrom != "" {
			delete(st.Groups, g.MovedFrom)
		}
		if g.Action == ActionRemove && len(g.Flags) == 0 {
			delete(st.Groups, g.Name)
		}
	}
	maps.Copy(st.Groups, moved)
	return lines, nil
}

// ForgetLapsed forgets, in st, the record of every group a removed block lets lapse whose
// instances apply set never to renew (Refactor left those records for after the flags),
// and returns a line for each. A group with an instance whose flag could not be set keeps
// its record, so that the next apply sets it again.
func (p *Plan) ForgetLapsed(st *state.State) []string {
	if st == nil {
		return nil
	}
	var lines []string
	for _, g := range p.Groups {
		sg := st.Groups[g.Name]
		if g.Action != ActionRemove || len(g.Flags) == 0 || sg == nil || len(sg.PendingBatches()) > 0 {
			continue
		}
		done := true
		for _, in := range liveInstances(sg) {
			// A renewal in flight keeps the record until a later apply resolves it.
			done = done && flagOf(in) == state.AutoRenewNever && in.Renewing == nil
		}
		if done {
			delete(st.Groups, g.Name)
			lines = append(lines, fmt.Sprintf("removed %s (%s set never to renew, then forgotten)", g.Name, countWord(len(sg.Instances), "instance")))
		}
	}
	return lines
}

// movesAway reports whether the record of group name moves to another group in p.
func movesAway(p *Plan, name string) bool {
	return slices.ContainsFunc(p.Groups, func(g *GroupPlan) bool { return g.MovedFrom == name })
}

// renamedParams returns bought with its instance name replaced by the desired one when it
// was bought named after a former name of the group (marker aside) and the desired name is
// the group's own default: the rename is not a change of configuration.
func renamedParams(bought, desired map[string]string, former []string) map[string]string {
	if len(former) == 0 {
		return bought
	}
	base := bought[paramName]
	if b, _, ok := SplitMarker(base); ok {
		base = b
	}
	if !slices.Contains(former, base) {
		return bought
	}
	out := maps.Clone(bought)
	out[paramName] = desired[paramName]
	return out
}
