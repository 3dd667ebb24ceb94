package planner

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"fleet/internal/secret"
	"fleet/internal/state"
	"fleet/spec"
)

// MaxGoodsPerCall is the largest goodsNum of one RunInstances call.
const MaxGoodsPerCall = 100

// Parameters a call adds to the configuration's parameters.
const (
	paramGoodsNum  = "goodsNum"
	paramToken     = "clientToken"
	paramPrivateIP = "privateIpAddresses.0"
)

// Diagnostic codes of the plan's own diagnostics.
const (
	CodeOrphan        = "orphan"
	CodeConfigDrift   = "config-drift"
	CodeStateMismatch = "state-mismatch"
	// CodeInstanceConflict is an instance recorded in two groups of the state.
	CodeInstanceConflict = "instance-conflict"
)

// Options are the choices of a plan besides the spec and the state.
type Options struct {
	// Groups, when not empty, limits the plan to the named groups (a name also selects the
	// for_each groups NAME[...]), like Terraform's -target: other groups are neither bought,
	// nor moved, nor removed, nor warned about. Errors of every group are kept, and a warning
	// says the plan is partial.
	Groups []string
	// At is the time the plan is made at, from which renewals, lapses at expiry and the
	// expiry calendar are counted. The zero time plans none of them (see keep.go).
	At time.Time
}

// Compute returns the purchase plan of fleet f against the state st (nil when there is no
// state yet). It is a pure function: the same fleet and state always give the same plan, with
// the same calls and client tokens.
func Compute(f *spec.Fleet, st *state.State) *Plan {
	return ComputeWith(f, st, Options{})
}

// ComputeWith is Compute with options.
func ComputeWith(f *spec.Fleet, st *state.State, o Options) *Plan {
	p := &Plan{
		Fleet:     f.Name,
		Region:    f.Region,
		ProjectID: f.ProjectID,
		Groups:    make([]*GroupPlan, 0, len(f.Groups)),
		At:        o.At,
	}
	p.Diagnostics = append(p.Diagnostics, f.Diags...)
	var recorded map[string]*state.Group
	if st != nil {
		p.StateLineage = st.Lineage
		p.StateSerial = st.Serial
		p.StateVersion = st.Version
		recorded = st.Groups
		if d := stateMismatch(f, st); d != nil {
			p.Diagnostics = append(p.Diagnostics, d)
		}
		p.Diagnostics = append(p.Diagnostics, instanceConflicts(st)...)
	}

	moved, movedFrom, diags := movedState(f, st)
	p.Diagnostics = append(p.Diagnostics, diags...)
	if moved != nil {
		recorded = moved.Groups
	}
	removed := make(map[string]spec.Removed, len(f.Removed))
	for _, rm := range f.Removed {
		removed[rm.From] = rm
	}

	targeted := targets(o.Groups)
	var partial hcl.Diagnostics // the diagnostics of groups the plan leaves out: errors only
	keep := func(name string, diags hcl.Diagnostics) hcl.Diagnostics {
		if targeted(name) {
			return diags
		}
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				partial = append(partial, d)
			}
		}
		return nil
	}

	formerNames := f.MovedFrom()
	inSpec := make(map[string]bool, len(f.Groups))
	var warnings hcl.Diagnostics
	for _, g := range f.Groups {
		inSpec[g.Name] = true
		gp, diags := planGroup(f, g, recorded[g.Name], formerNames[g.Name], o.At)
		diags = keep(g.Name, diags)
		if old, ok := movedFrom[g.Name]; ok {
			gp.MovedFrom = old
			if gp.Action == ActionNone {
				gp.Action = ActionMove
			}
		}
		p.Groups = append(p.Groups, gp)
		warnings = append(warnings, diags...)
	}
	for _, name := range slices.Sorted(maps.Keys(recorded)) {
		if inSpec[name] {
			continue
		}
		if rm, ok := removed[name]; ok {
			gp, diags := planRemoved(rm, recorded[name])
			p.Groups = append(p.Groups, gp)
			p.Diagnostics = append(p.Diagnostics, keep(name, diags)...)
			continue
		}
		gp, diags := planOrphan(f, name, recorded[name])
		calendarOf(gp, recorded[name], o.At)
		diags = keep(name, diags)
		if old, ok := movedFrom[name]; ok {
			gp.MovedFrom = old // a move into a group the spec does not declare (the spec is broken)
		}
		p.Groups = append(p.Groups, gp)
		warnings = append(warnings, diags...)
	}
	sort.SliceStable(p.Groups, func(i, j int) bool { return p.Groups[i].Name < p.Groups[j].Name })
	p.Diagnostics = append(p.Diagnostics, probableRenames(f, p, recorded)...)
	p.Diagnostics = append(p.Diagnostics, privateIPsInUse(f, p, recorded)...)
	p.Diagnostics = append(p.Diagnostics, partial...)
	p.Diagnostics = append(p.Diagnostics, warnings...)
	if len(o.Groups) > 0 {
		p.Diagnostics = append(p.Diagnostics, targetDiags(o.Groups, p.Groups)...)
		p.Groups = slices.DeleteFunc(p.Groups, func(g *GroupPlan) bool { return !targeted(g.Name) })
	}
	if d := deadlineWarning(p.Groups, recorded, o.At); d != nil {
		p.Diagnostics = append(p.Diagnostics, d)
	}
	if d := expiredWarning(p.Groups, recorded, o.At); d != nil {
		p.Diagnostics = append(p.Diagnostics, d)
	}
	p.Summary = summarize(p.Groups)
	return p
}

// CodeTargeted is the warning of a plan limited to some groups (Options.Groups).
const CodeTargeted = "targeted"

// CodeNoSuchGroup is a group named in Options.Groups that neither the spec nor the state has.
const CodeNoSuchGroup = "no-such-group"

// targets returns whether a group is in the plan when it covers only names (all when names
// is empty): a name selects its group and the for_each groups name[...].
func targets(names []string) func(string) bool {
	if len(names) == 0 {
		return func(string) bool { return true }
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return func(group string) bool {
		if set[group] {
			return true
		}
		base, _, ok := strings.Cut(group, "[")
		return ok && set[base]
	}
}

// targetDiags returns the warning of a plan limited to names, and an error for each name
// that selects no group of groups (every group of the spec and the state).
func targetDiags(names []string, groups []*GroupPlan) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	for _, n := range names {
		match := targets([]string{n})
		if !slices.ContainsFunc(groups, func(g *GroupPlan) bool { return match(g.Name) }) {
			diags = append(diags, spec.WithCode(CodeNoSuchGroup, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No such group",
				Detail:   fmt.Sprintf("--group %s names no group of the spec or the state. Run \"fleet state list\" for the groups the state records.", n),
			}))
		}
	}
	diags = append(diags, spec.WithCode(CodeTargeted, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Plan limited to some groups",
		Detail: fmt.Sprintf("The plan covers only the groups named with --group (%s): other groups are neither bought nor checked for surplus, drift or orphans, "+
			"and their changes are not shown. Use --group to work on a few groups at a time or to recover from a mistake, "+
			"and run fleet plan without it to see the whole fleet.", strings.Join(names, ", ")),
	}))
	return diags
}

// Valid reports whether the plan has no error diagnostics: the spec is valid and matches the
// state.
func (p *Plan) Valid() bool { return !p.Diagnostics.HasErrors() }

// Applyable reports whether the plan may be applied: it is valid and no group is invalid.
func (p *Plan) Applyable() bool {
	if !p.Valid() {
		return false
	}
	for _, g := range p.Groups {
		if g.Action == ActionInvalid {
			return false
		}
	}
	return true
}

// HasChanges reports whether applying the plan would change anything: make a call (buy,
// renew or set a flag), move a group's record or forget one.
func (p *Plan) HasChanges() bool {
	return slices.ContainsFunc(p.Groups, (*GroupPlan).HasChanges)
}

// HasChanges reports whether applying the plan would change anything of the group: make a
// call (buy, renew, set a flag, read the deadline of a renewal of unknown outcome), move its
// record or forget it.
func (g *GroupPlan) HasChanges() bool {
	return len(g.Calls) > 0 || len(g.Renewals) > 0 || len(g.Flags) > 0 || len(g.Unresolved) > 0 || g.MovedFrom != "" || g.Action == ActionRemove
}

// Calls returns every call of the plan, group by group in the plan's order.
func (p *Plan) Calls() []*Call {
	var calls []*Call
	for _, g := range p.Groups {
		calls = append(calls, g.Calls...)
	}
	return calls
}

// Group returns the plan of the named group, or nil.
func (p *Plan) Group(name string) *GroupPlan {
	i := sort.Search(len(p.Groups), func(i int) bool { return p.Groups[i].Name >= name })
	if i < len(p.Groups) && p.Groups[i].Name == name {
		return p.Groups[i]
	}
	return nil
}

// stateMismatch returns an error diagnostic when the state belongs to another fleet or
// region than the spec, or nil.
func stateMismatch(f *spec.Fleet, st *state.State) *hcl.Diagnostic {
	if f.Name == "" || st.Fleet == "" && st.Region == "" {
		return nil
	}
	if st.Fleet == f.Name && (st.Region == "" || f.Region == "" || st.Region == f.Region) {
		return nil
	}
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "State belongs to another fleet",
		Detail: fmt.Sprintf("The state records fleet %q in region %q, but the spec describes fleet %q in region %q. "+
			"Use the state file of this fleet (--state), or rename the fleet back; fleet never overwrites the record of another fleet.",
			st.Fleet, st.Region, f.Name, f.Region),
	}
	if f.DeclRange.Filename != "" {
		r := f.DeclRange
		d.Subject = &r
	}
	return spec.WithCode(CodeStateMismatch, d)
}

// instanceConflicts reports every instance id the state records in more than one group: an
// answer that named an instance imported into another group meanwhile, say. The plan cannot
// be applied until the record says where the instance belongs, since it counts in both.
func instanceConflicts(st *state.State) hcl.Diagnostics {
	owners := map[string][]string{}
	var ids []string
	for _, name := range st.GroupNames() {
		g := st.Groups[name]
		if g == nil {
			continue
		}
		for _, in := range g.Instances {
			if in == nil {
				continue
			}
			if len(owners[in.ID]) == 1 {
				ids = append(ids, in.ID)
			}
			owners[in.ID] = append(owners[in.ID], name)
		}
	}
	var diags hcl.Diagnostics
	for _, id := range ids {
		groups := owners[id]
		diags = append(diags, spec.WithCode(CodeInstanceConflict, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Instance recorded in two groups",
			Detail: fmt.Sprintf("Instance %s is recorded in groups %s: it counts in each, so nothing is bought until the record says where it belongs. "+
				"Run \"fleet state show %s\" and \"fleet state show %s\" to see the calls that recorded it, then remove the record of the group it does not belong to with \"fleet state rm GROUP\" and import that group's other instances again with \"fleet import\".",
				id, strings.Join(groups, " and "), groups[0], groups[1]),
		}))
	}
	return diags
}

// history is what the planner reads of one group's record in the state.
type history struct {
	current  int
	pending  []*state.Batch
	nextSeq  int
	lastDone *state.Batch // latest done RunInstances batch with its parameters
	usedIPs  map[string]bool
	// bought are the done RunInstances batches with their parameters that still have an
	// instance not gone, or whose instances were never recorded, in seq order: every
	// configuration the group's live instances were bought with.
	bought []*state.Batch
	// live are the ids of the instances not gone, sorted; liveByBatch the same by batch seq.
	live        []string
	liveByBatch map[int][]string
}

// readHistory summarises a group's record. sg may be nil.
func readHistory(sg *state.Group) history {
	var h history
	if sg == nil {
		return h
	}
	withIP := false
	for _, b := range sg.Batches {
		if b.Seq >= h.nextSeq {
			h.nextSeq = b.Seq + 1
		}
		switch b.Status {
		case state.StatusPending:
			h.pending = append(h.pending, b)
		case state.StatusDone:
			if b.Kind != state.KindImport && b.Params != nil && (h.lastDone == nil || b.Seq > h.lastDone.Seq) {
				h.lastDone = b
			}
		}
		withIP = withIP || b.Params[paramPrivateIP] != ""
	}
	if !withIP {
		for _, in := range sg.Instances {
			if !in.Gone() {
				h.current++
			}
		}
	} else {
		h.current, h.usedIPs = usedIPs(sg)
	}
	sort.Slice(h.pending, func(i, j int) bool { return h.pending[i].Seq < h.pending[j].Seq })
	recorded := make(map[int]bool)
	h.liveByBatch = make(map[int][]string)
	for _, in := range sg.Instances {
		if in == nil {
			continue
		}
		recorded[in.Batch] = true
		if !in.Gone() {
			h.live = append(h.live, in.ID)
			h.liveByBatch[in.Batch] = append(h.liveByBatch[in.Batch], in.ID)
		}
	}
	sort.Strings(h.live)
	for _, ids := range h.liveByBatch {
		sort.Strings(ids)
	}
	for _, b := range sg.Batches {
		if b.Status == state.StatusDone && b.Kind != state.KindImport && b.Params != nil &&
			(!recorded[b.Seq] || len(h.liveByBatch[b.Seq]) > 0) {
			h.bought = append(h.bought, b)
		}
	}
	sort.Slice(h.bought, func(i, j int) bool { return h.bought[i].Seq < h.bought[j].Seq })
	return h
}

// usedIPs returns the number of current instances of a group whose batches set private IPs,
// and the addresses in use: those of pending batches and of done batches that still have an
// instance not gone (or whose instances were never recorded).
func usedIPs(sg *state.Group) (int, map[string]bool) {
	current := 0
	live := make(map[int]int) // batch seq -> instances not gone
	seen := make(map[int]int) // batch seq -> instances recorded
	for _, in := range sg.Instances {
		seen[in.Batch]++
		if !in.Gone() {
			current++
			live[in.Batch]++
		}
	}
	used := make(map[string]bool)
	for _, b := range sg.Batches {
		ip := b.Params[paramPrivateIP]
		if ip == "" {
			continue
		}
		if b.Status == state.StatusPending || b.Status == state.StatusDone && (seen[b.Seq] == 0 || live[b.Seq] > 0) {
			used[ip] = true
		}
	}
	return current, used
}

// planGroup plans one group of the spec against its record (nil when it has none). former
// are the names the spec's moved blocks give the group before: instances bought under one of
// them, named after it, are no configuration change.
func planGroup(f *spec.Fleet, g *spec.Group, sg *state.Group, former []string, at time.Time) (*GroupPlan, hcl.Diagnostics) {
	h := readHistory(sg)
	gp := &GroupPlan{Name: g.Name, Desired: g.Count, Current: h.current, InstanceIDs: h.live}
	for _, b := range h.pending {
		gp.Pending += b.GoodsNum
	}
	if !g.Valid() {
		gp.Action = ActionInvalid
		return gp, nil
	}
	gp.Current -= keep(gp, g.Renewal, g.Config.PrivateIPs, sg, at)
	gp.Purchase = max(0, gp.Desired-gp.Current-gp.Pending)

	var diags hcl.Diagnostics
	desired := maskInPlace(g.Config.Params())
	gp.Config = configOnly(desired)
	var drifted []string
	gp.ConfigDiff, drifted = boughtDrift(g.Name, h, desired, former)
	if gp.ConfigDiff != "" {
		diags = append(diags, groupWarning(g, CodeConfigDrift, "Configuration changed",
			fmt.Sprintf("The configuration of group %q differs from the one %s were bought with%s. "+
				"Existing instances keep their old configuration; only new purchases use the new one. "+
				"Recreate the instances outside fleet if they must change.", g.Name, driftedWhat(drifted, gp.Current), idList(drifted))))
	}

	for _, b := range h.pending {
		gp.Calls = append(gp.Calls, resumeCall(f, g.Name, b))
	}
	fresh := newCalls(f, g, desired, h, gp.Purchase)
	gp.Calls = append(gp.Calls, fresh...)
	if n := gp.Purchase - len(fresh); n > 0 && len(g.Config.PrivateIPs) > 0 {
		diags = append(diags, groupWarning(g, CodeIPHeld, "Private IPs still held",
			fmt.Sprintf("Group %q wants %s more, but every address of private_ips not in use is held by an instance that no longer counts (it lapsed at its deadline) and that the cloud has not released yet. "+
				"Nothing is bought for %s until the cloud releases them; \"fleet refresh\" records that, and the next plan buys.",
				g.Name, countWord(n, "instance"), plural(n, "it", "them"))))
	}

	switch {
	case len(h.pending) > 0:
		gp.Action = ActionResume
	case len(gp.Calls) > 0:
		gp.Action = ActionPurchase
	case len(gp.Renewals) > 0:
		gp.Action = ActionRenew
	case len(gp.Lapse) > 0:
		gp.Action = ActionLapse
	case len(gp.Flags) > 0:
		gp.Action = ActionFlag
	default:
		gp.Action = ActionNone
	}
	return gp, diags
}

// planOrphan plans a group that is in the state but no longer in the spec. Its instances are
// left alone; a pending batch is still resolved, with its recorded token and parameters, so
// that a purchase whose outcome is unknown is never forgotten.
func planOrphan(f *spec.Fleet, name string, sg *state.Group) (*GroupPlan, hcl.Diagnostics) {
	h := readHistory(sg)
	gp := &GroupPlan{Name: name, Action: ActionOrphan, Current: h.current, InstanceIDs: h.live}
	for _, b := range h.pending {
		gp.Pending += b.GoodsNum
		gp.Calls = append(gp.Calls, resumeCall(f, name, b))
	}
	if len(h.pending) > 0 {
		gp.Action = ActionResume
	}
	d := &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Group not in the spec",
		Detail: fmt.Sprintf("The state records group %q with %d instances%s, but no spec file declares it. "+
			"Apply does not return prepaid instances: add the group back to keep tracking them, "+
			"or remove it from the state with \"fleet state rm %s\".", name, h.current, idList(h.live), name),
	}
	return gp, hcl.Diagnostics{spec.WithCode(CodeOrphan, d)}
}

// groupWarning returns a warning about group g with its range at the group's block.
func groupWarning(g *spec.Group, code, summary, detail string) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail}
	if g.DeclRange.Filename != "" {
		r := g.DeclRange
		d.Subject = &r
	}
	return spec.WithCode(code, d)
}

// resumeCall returns the call that resolves a pending batch: its recorded seq, token,
// parameters and marker, whatever the spec says now.
func resumeCall(f *spec.Fleet, group string, b *state.Batch) *Call {
	params := make(map[string]string, len(b.Params)+2)
	maps.Copy(params, b.Params)
	if _, ok := params[paramToken]; !ok && b.ClientToken != "" {
		params[paramToken] = b.ClientToken
	}
	if _, ok := params[paramGoodsNum]; !ok {
		params[paramGoodsNum] = strconv.Itoa(b.GoodsNum)
	}
	marker := b.Marker
	if marker == "" {
		marker = derivedMarker(f.Name, f.Region, f.ProjectID, group, b.Seq, params)
	}
	return &Call{Group: group, Seq: b.Seq, ClientToken: b.ClientToken, GoodsNum: b.GoodsNum, Params: params, Resume: true, Marker: marker}
}

// newCalls returns the calls that buy n instances of group g, with seqs from h.nextSeq up:
// batches of at most MaxGoodsPerCall, or one call per unused private IP.
func newCalls(f *spec.Fleet, g *spec.Group, base map[string]string, h history, n int) []*Call {
	if n <= 0 {
		return nil
	}
	var calls []*Call
	seq := h.nextSeq
	add := func(goods int, ip string) {
		params := make(map[string]string, len(base)+3)
		maps.Copy(params, base)
		params[paramGoodsNum] = strconv.Itoa(goods)
		if ip != "" {
			params[paramPrivateIP] = ip
		}
		marker := Marker(f.Name, f.Region, f.ProjectID, g.Name, seq, params)
		params[paramName] = MarkName(base[paramName], marker)
		token := Token(f.Name, f.Region, f.ProjectID, g.Name, seq, params)
		params[paramToken] = token
		calls = append(calls, &Call{Group: g.Name, Seq: seq, ClientToken: token, GoodsNum: goods, Params: params, Marker: marker})
		seq++
	}
	if len(g.Config.PrivateIPs) > 0 {
		for _, ip := range g.Config.PrivateIPs {
			if len(calls) == n {
				break
			}
			if !h.usedIPs[ip] {
				add(1, ip)
			}
		}
		return calls
	}
	for n > 0 {
		goods := min(n, MaxGoodsPerCall)
		add(goods, "")
		n -= goods
	}
	return calls
}

// maskInPlace replaces the secrets of p by their secret.Hash and returns p. It saves the
// copy secret.HashParams makes, for a map nobody else holds.
func maskInPlace(p map[string]string) map[string]string {
	for _, k := range secret.Params() {
		if v, ok := p[k]; ok {
			p[k] = secret.Hash(v)
		}
	}
	return p
}

// summarize totals the calls of a plan, resumed ones included.
func summarize(groups []*GroupPlan) Summary {
	var s Summary
	for _, g := range groups {
		if g.MovedFrom != "" {
			s.Moved++
		}
		if g.Action == ActionRemove {
			s.Removed++
		}
		for _, c := range g.Calls {
			s.Calls++
			s.Purchase += c.GoodsNum
			period, _ := strconv.Atoi(c.Params["period"])
			s.InstanceMonths += c.GoodsNum * period
		}
		for _, r := range g.Renewals {
			s.Renew++
			s.RenewMonths += r.Period
		}
		for _, f := range g.Flags {
			s.Flags += len(f.InstanceIDs)
		}
		s.Lapse += len(g.Lapse)
		s.Calendar.add(g.Calendar)
	}
	return s
}
