package planner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"fleet/internal/state"
	"fleet/spec"
)

// Keeping a prepaid fleet: what the plan does as instances near their deadline.
//
// Every group's live instances (state.Instance not Gone) have a deadline and a renew flag as
// the last refresh (or the apply that bought or renewed them) read them. At the plan's time:
//
//   - Lapse. When a group has more live instances than count, the surplus is set not to
//     renew (flag AutoRenewNever) and leaves the group at its deadline; until then it counts as
//     current. An instance the state records with that flag in a group whose mode is not
//     "never" is already lapsing. The surplus is made of the lapsing instances first, then of
//     the others, each chosen by the same rule: in a group with private IPs, the instances
//     whose address the spec no longer lists first; then the earliest deadline first (an
//     unknown deadline last), then the smallest instance id. Lapsing instances beyond the surplus,
//     when count is raised again, are taken back: their flag is set back to the mode's, and
//     nothing is bought while they make up the count. A lapsing instance whose deadline has
//     passed has left: it is no longer current, and is not taken back.
//   - Renew. In a "fleet" group, every other live instance whose deadline is within
//     renew_within_days of the plan's time is renewed by renew_period months, and so is one
//     whose deadline has passed less than RenewableFor ago (the cloud keeps it isolated and
//     renewable that long): those first.
//   - Renew flag. Every live instance whose flag differs from the one its group asks for
//     (the mode's, or never for a lapsing one) has it set; a flag the state does not know is
//     taken as the cloud's default for a new instance, AutoRenewNotify. New purchases of a
//     group whose mode asks for another flag get it set by the apply that buys them (NewFlag).
//   - Calendar. Per group and for the whole plan: the earliest deadline and how many
//     instances expire within 7, 30 and 90 days.
//
// A plan without a time (Plan.At zero) renews nothing, lets nothing leave at expiry and has no
// calendar; lapses and flags, which do not depend on the time, are planned all the same.

// RenewableFor is how long after its deadline an expired prepaid instance stays isolated and
// can still be renewed, before the cloud releases it with its data.
const RenewableFor = 7 * 24 * time.Hour

// StaleAfter is the age from which the plan warns that the deadlines it knows are old.
const StaleAfter = 24 * time.Hour

// CodeDeadlines is the warning of a plan whose deadlines are missing or old.
const CodeDeadlines = "deadlines-stale"

// CodeIPHeld is the warning of a private-IP group that cannot buy what it lacks because its
// free addresses are held by instances that lapsed but are not released yet.
const CodeIPHeld = "private-ip-held"

// CodeExpired is the warning of a plan with current instances past their deadline that it
// does not renew.
const CodeExpired = "expired"

// beijing is the time zone of the API's deadlines, in which months are counted.
var beijing = time.FixedZone("CST", 8*60*60)

// AddMonths returns t plus n months as the API counts them: by the calendar of Beijing time.
func AddMonths(t time.Time, n int) time.Time {
	return t.In(beijing).AddDate(0, n, 0).UTC()
}

// FlagName names a renew flag as the plan shows it.
func FlagName(flag int) string {
	switch flag {
	case state.AutoRenewAuto:
		return "auto-renew"
	case state.AutoRenewNever:
		return "never renew"
	}
	return "notify"
}

// keep plans the renewals, flags and lapses of group gp (mode is its renew policy) against
// its record sg at the plan's time at, and sets its calendar. It returns how many of the
// group's current instances have left at expiry.
func keep(gp *GroupPlan, r spec.Renewal, privateIPs []string, sg *state.Group, at time.Time) (left int) {
	gp.RenewMode = r.Mode
	live := liveInstances(sg)
	never := r.Mode == spec.RenewNever
	expired := func(in *state.Instance) bool {
		return !at.IsZero() && in.Deadline != nil && !in.Deadline.After(at)
	}

	var lapsing, others []*state.Instance
	for _, in := range live {
		switch {
		case !never && flagOf(in) == state.AutoRenewNever && expired(in):
			left++ // it has left at its deadline
		case !never && flagOf(in) == state.AutoRenewNever:
			lapsing = append(lapsing, in)
		default:
			others = append(others, in)
		}
	}
	order := lapseOrder(privateIPs, sg)
	slices.SortFunc(lapsing, order)
	slices.SortFunc(others, order)
	surplus := max(0, len(lapsing)+len(others)-gp.Desired)
	var lapse, kept []*state.Instance
	if surplus <= len(lapsing) {
		lapse, kept = lapsing[:surplus], others
		for _, in := range lapsing[surplus:] {
			gp.TakenBack = append(gp.TakenBack, in.ID)
		}
		kept = append(kept, lapsing[surplus:]...)
	} else {
		n := surplus - len(lapsing)
		lapse = slices.Concat(lapsing, others[:n])
		kept = others[n:]
	}
	for _, in := range lapse {
		gp.Lapse = append(gp.Lapse, in.ID)
	}
	slices.Sort(gp.Lapse)
	slices.Sort(gp.TakenBack)

	want := r.AutoRenew()
	if want != state.AutoRenewNotify {
		gp.NewFlag = &want
	}
	flags := map[int][]string{}
	for _, in := range lapse {
		if flagOf(in) != state.AutoRenewNever {
			flags[state.AutoRenewNever] = append(flags[state.AutoRenewNever], in.ID)
		}
	}
	for _, in := range kept {
		if flagOf(in) != want {
			flags[want] = append(flags[want], in.ID)
		}
	}
	for _, f := range []int{state.AutoRenewNotify, state.AutoRenewAuto, state.AutoRenewNever} {
		if ids := flags[f]; len(ids) > 0 {
			slices.Sort(ids)
			gp.Flags = append(gp.Flags, &FlagChange{Flag: f, InstanceIDs: ids})
		}
	}

	if r.Mode == spec.RenewFleet && !at.IsZero() {
		window := at.Add(time.Duration(r.WithinDays) * 24 * time.Hour)
		for _, in := range kept {
			d := in.Deadline
			if d == nil || d.After(window) || !d.Add(RenewableFor).After(at) {
				continue
			}
			gp.Renewals = append(gp.Renewals, &Renewal{InstanceID: in.ID, Deadline: *d, Period: r.Period, Expired: expired(in), Resume: in.Renewing != nil})
		}
		slices.SortFunc(gp.Renewals, func(a, b *Renewal) int {
			if a.Expired != b.Expired {
				if a.Expired {
					return -1
				}
				return 1
			}
			return cmp.Or(a.Deadline.Compare(b.Deadline), strings.Compare(a.InstanceID, b.InstanceID))
		})
	}
	gp.Calendar = calendar(append(lapse, kept...), at)
	gp.Unresolved = unresolved(sg, gp.Renewals)
	return left
}

// unresolved returns the instances of sg with a renewal of unknown outcome that renewals
// does not hold, sorted.
func unresolved(sg *state.Group, renewals []*Renewal) []string {
	var ids []string
	for _, in := range liveInstances(sg) {
		if in.Renewing != nil && !slices.ContainsFunc(renewals, func(r *Renewal) bool { return r.InstanceID == in.ID }) {
			ids = append(ids, in.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// calendarOf sets the calendar of a group the spec does not declare (its live instances
// expire all the same) and the renewals of unknown outcome its apply must resolve.
func calendarOf(gp *GroupPlan, sg *state.Group, at time.Time) {
	gp.Calendar = calendar(liveInstances(sg), at)
	gp.Unresolved = unresolved(sg, nil)
}

// liveInstances returns the instances of sg not known to be gone.
func liveInstances(sg *state.Group) []*state.Instance {
	if sg == nil {
		return nil
	}
	var live []*state.Instance
	for _, in := range sg.Instances {
		if in != nil && !in.Gone() {
			live = append(live, in)
		}
	}
	return live
}

// flagOf returns the renew flag recorded for in, the cloud's default when none was read.
func flagOf(in *state.Instance) int {
	if in.AutoRenew == nil {
		return state.AutoRenewNotify
	}
	return *in.AutoRenew
}

// lapseOrder orders instances as the surplus is chosen: in a group with private IPs, those
// whose address the spec no longer lists first; then the earliest deadline first, an
// unknown deadline last; then by id.
func lapseOrder(privateIPs []string, sg *state.Group) func(a, b *state.Instance) int {
	unwanted := func(*state.Instance) bool { return false }
	if len(privateIPs) > 0 && sg != nil {
		byBatch := map[int]string{}
		for _, b := range sg.Batches {
			byBatch[b.Seq] = b.Params[paramPrivateIP]
		}
		unwanted = func(in *state.Instance) bool {
			ip := byBatch[in.Batch]
			if ip == "" && len(in.PrivateIPs) > 0 {
				ip = in.PrivateIPs[0]
			}
			return ip != "" && !slices.Contains(privateIPs, ip)
		}
	}
	return func(a, b *state.Instance) int {
		if ua, ub := unwanted(a), unwanted(b); ua != ub {
			if ua {
				return -1
			}
			return 1
		}
		return byDeadline(a, b)
	}
}

// byDeadline orders instances by deadline, an unknown one last, then by id.
func byDeadline(a, b *state.Instance) int {
	switch {
	case a.Deadline == nil && b.Deadline != nil:
		return 1
	case a.Deadline != nil && b.Deadline == nil:
		return -1
	case a.Deadline != nil:
		if c := a.Deadline.Compare(*b.Deadline); c != 0 {
			return c
		}
	}
	return strings.Compare(a.ID, b.ID)
}

// calendar counts when instances expire, from at (none without a time).
func calendar(list []*state.Instance, at time.Time) Calendar {
	var c Calendar
	if at.IsZero() {
		return c
	}
	for _, in := range list {
		d := in.Deadline
		if d == nil {
			c.Unknown++
			continue
		}
		if c.Earliest == nil || d.Before(*c.Earliest) {
			t := *d
			c.Earliest = &t
		}
		left := d.Sub(at)
		switch {
		case left <= 0:
			c.Expired++
		case left <= 7*24*time.Hour:
			c.Within7++
			fallthrough
		case left <= 30*24*time.Hour:
			c.Within30++
			fallthrough
		case left <= 90*24*time.Hour:
			c.Within90++
		}
	}
	return c
}

// deadlineWarning returns the warning of a plan made at at whose live instances have no
// deadline recorded, or one read more than StaleAfter ago; nil when every deadline is fresh
// or the plan has no time.
func deadlineWarning(groups []*GroupPlan, recorded map[string]*state.Group, at time.Time) *hcl.Diagnostic {
	if at.IsZero() {
		return nil
	}
	var missing, old int
	var oldest time.Time
	var names []string
	for _, g := range groups {
		bad := false
		for _, in := range liveInstances(recorded[g.Name]) {
			switch {
			case in.Deadline == nil:
				missing++
				bad = true
			case in.StatusAt == nil || at.Sub(*in.StatusAt) > StaleAfter:
				old++
				bad = true
				if in.StatusAt != nil && (oldest.IsZero() || in.StatusAt.Before(oldest)) {
					oldest = *in.StatusAt
				}
			}
		}
		if bad {
			names = append(names, g.Name)
		}
	}
	if missing+old == 0 {
		return nil
	}
	var what []string
	if missing > 0 {
		what = append(what, fmt.Sprintf("%d %s no known deadline", missing, plural(missing, "instance has", "instances have")))
	}
	if old > 0 {
		s := fmt.Sprintf("%d %s more than a day ago", old, plural(old, "deadline was read", "deadlines were read"))
		if !oldest.IsZero() {
			s += fmt.Sprintf(" (the oldest at %s)", oldest.UTC().Format(time.RFC3339))
		}
		what = append(what, s)
	}
	return spec.WithCode(CodeDeadlines, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Deadlines not known or not fresh",
		Detail: fmt.Sprintf("%s, in %s %s. The expiry calendar, renewals and lapses are planned from what the state knows: run \"fleet refresh\" to read the deadlines again and record them.",
			strings.Join(what, " and "), plural(len(names), "group", "groups"), listNames(names)),
	})
}

// expiredWarning returns the warning of a plan made at at whose groups have current
// instances past their deadline that the plan does not renew (lapsing ones that have left
// aside): isolated, or probably released already. They count as current until a refresh
// sees them gone. nil when there are none or the plan has no time.
func expiredWarning(groups []*GroupPlan, recorded map[string]*state.Group, at time.Time) *hcl.Diagnostic {
	if at.IsZero() {
		return nil
	}
	var isolated, released int
	var names []string
	for _, g := range groups {
		if g.Action == ActionRemove {
			continue
		}
		renewed := map[string]bool{}
		for _, r := range g.Renewals {
			renewed[r.InstanceID] = true
		}
		bad := false
		for _, in := range liveInstances(recorded[g.Name]) {
			switch {
			case in.Deadline == nil || in.Deadline.After(at) || renewed[in.ID]:
			case g.RenewMode != spec.RenewNever && flagOf(in) == state.AutoRenewNever:
				// A lapsing instance that has left: not current.
			case flagOf(in) == state.AutoRenewAuto:
				// The cloud renews it at its deadline (a refresh reads the new one).
			case in.Deadline.Add(RenewableFor).After(at):
				isolated++
				bad = true
			default:
				released++
				bad = true
			}
		}
		if bad {
			names = append(names, g.Name)
		}
	}
	if isolated+released == 0 {
		return nil
	}
	var what []string
	if isolated > 0 {
		what = append(what, fmt.Sprintf("%d %s expired and isolated (renewable for 7 days after the deadline)", isolated, plural(isolated, "instance is", "instances are")))
	}
	if released > 0 {
		what = append(what, fmt.Sprintf("%d expired more than 7 days ago and %s probably released with %s data", released, plural(released, "is", "are"), plural(released, "its", "their")))
	}
	return spec.WithCode(CodeExpired, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Instances past their deadline",
		Detail: fmt.Sprintf("In %s %s, %s. They count as current until \"fleet refresh\" sees them gone; then the plan buys their replacements. Renew them in the console, or set renew = \"fleet\" to have apply renew instances before they expire.",
			plural(len(names), "group", "groups"), listNames(names), strings.Join(what, "; ")),
	})
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// listNames joins up to five names, then says how many more.
func listNames(names []string) string {
	if len(names) <= 5 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:5], ", "), len(names)-5)
}
