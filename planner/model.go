package planner

import (
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Action is what the plan does with a group.
type Action string

const (
	ActionPurchase Action = "purchase"   // buy instances
	ActionNone     Action = "none"       // nothing to do
	ActionResume   Action = "resume"     // resolve a pending batch of an interrupted apply first
	ActionRenew    Action = "renew"      // renew instances that expire within the group's window (RenewInstance)
	ActionFlag     Action = "renew-flag" // set the cloud's renew flag of instances to what the spec says (SetAutoRenew)
	ActionLapse    Action = "lapse"      // more instances than desired: the surplus is set not to renew and leaves at expiry
	ActionOrphan   Action = "orphan"     // in the state, not in the spec: a warning
	ActionInvalid  Action = "invalid"    // the group has errors; the plan cannot be applied
	ActionMove     Action = "move"       // the record of a group moves to a new name (a moved block); no call
	ActionRemove   Action = "remove"     // the record of a group is forgotten (a removed block); nothing is returned
)

// Plan is the purchase plan of one fleet.
type Plan struct {
	Fleet        string
	Region       string
	ProjectID    int
	StateLineage string
	StateSerial  uint64
	StateVersion string       // the store's identity of the state's snapshot (state.State.Version)
	Groups       []*GroupPlan // sorted by Name, orphans included
	Diagnostics  hcl.Diagnostics
	Summary      Summary
	// PriceNote says why the plan has no price although one was asked for ("the plan has
	// errors"); "" otherwise. The command that asks for prices sets it.
	PriceNote string
	// At is the time the plan was made at: renewals, lapses and the expiry calendar are
	// counted from it. The zero time means none was given, and the plan then has none of them.
	At time.Time
}

// GroupPlan is the plan of one group.
type GroupPlan struct {
	Name     string
	Action   Action
	Desired  int // count in the spec
	Current  int // recorded instances not known to be gone
	Pending  int // instances asked for by pending batches
	Purchase int // desired - current - pending, at least 0
	// ConfigDiff is the unified diff of each configuration the group's live instances were
	// bought with and that differs from the desired one, against the desired one; "" if none.
	ConfigDiff string
	// Config is the desired configuration of a group of the spec: its request parameters
	// without the call parameters (goodsNum, clientToken, private IPs), secrets hashed. It is
	// nil for a group the spec does not declare.
	Config map[string]string
	// InstanceIDs are the ids of the live instances of a group with more instances than
	// desired, or not in the spec (orphan), sorted; nil otherwise.
	InstanceIDs []string
	Calls       []*Call
	// MovedFrom is the name the group's record had in the state when a moved block (or a
	// chain of them) moves it to this group; "" otherwise. Apply renames the record before
	// any call. Action is ActionMove unless the group has more to do.
	MovedFrom string
	PriceFen  *int64 // price of the group's calls for the whole period, set when the price was asked for

	// RenewMode is the spec's renew mode of the group ("" for a group the spec does not
	// declare).
	RenewMode string
	// Renewals are the instances apply renews (ActionRenew): the expired ones first, then by
	// deadline and id.
	Renewals []*Renewal
	// Flags are the renew flags apply sets (ActionFlag), one change per flag value, in the
	// order of the values.
	Flags []*FlagChange
	// NewFlag is the renew flag apply sets on the instances this plan buys for the group; nil
	// when the cloud's default (AutoRenewNotify) is what the spec asks for.
	NewFlag *int
	// Lapse are the instances that leave the group at expiry (ActionLapse): the surplus over
	// count, set not to renew; sorted. TakenBack are instances that were lapsing and that a
	// higher count keeps again, their flag restored; sorted.
	Lapse     []string
	TakenBack []string
	// Calendar is when the group's instances expire, counted from the plan's time.
	Calendar Calendar
	// Unresolved are instances whose renewal by an earlier apply has an unknown outcome and
	// that the plan does not renew: apply reads their deadline to record what became of it.
	Unresolved []string
}

// Renewal is one RenewInstance of the plan: instance InstanceID, whose deadline the state
// records as Deadline, renewed by Period months.
type Renewal struct {
	InstanceID string
	Deadline   time.Time
	Period     int
	// Expired is set when the deadline has passed: the instance is isolated and is renewed
	// first, while the cloud still allows it (RenewableFor after its deadline).
	Expired bool
	// Resume is set when an earlier apply journaled this renewal and its outcome is not
	// known: apply reads the deadline first, and sends nothing if it moved.
	Resume   bool
	PriceFen *int64 // the renewal's price, set when the price was asked for
}

// NewDeadline is the deadline after the renewal: Period months after Deadline.
func (r *Renewal) NewDeadline() time.Time { return AddMonths(r.Deadline, r.Period) }

// FlagChange is one renew flag set on instances (SetAutoRenew, at most 100 ids a call).
type FlagChange struct {
	Flag        int      // state.AutoRenewNotify, AutoRenewAuto or AutoRenewNever
	InstanceIDs []string // sorted
}

// Calendar says when a group's instances expire, counted from the plan's time.
type Calendar struct {
	// Earliest is the earliest deadline of an instance of the group; nil when none is known.
	Earliest *time.Time
	// Expired counts the instances whose deadline has passed; Within7, Within30 and Within90
	// those whose deadline is within that many days after the plan's time (each count
	// includes the smaller windows; expired instances are in none of them).
	Expired, Within7, Within30, Within90 int
	// Unknown counts the instances whose deadline the state does not know.
	Unknown int
}

// add adds the counts of c to k, keeping the earlier of the two earliest deadlines.
func (k *Calendar) add(c Calendar) {
	if c.Earliest != nil && (k.Earliest == nil || c.Earliest.Before(*k.Earliest)) {
		t := *c.Earliest
		k.Earliest = &t
	}
	k.Expired += c.Expired
	k.Within7 += c.Within7
	k.Within30 += c.Within30
	k.Within90 += c.Within90
	k.Unknown += c.Unknown
}

// Call is one RunInstances call of the plan.
type Call struct {
	Group       string
	Seq         int
	ClientToken string
	GoodsNum    int
	// Params are the action parameters exactly as they will be sent (goodsNum, clientToken
	// and privateIpAddresses.0 included; the common parameters Action, Region, Nonce,
	// Timestamp, SecretId, Signature, SignatureMethod and Token left out), with every secret
	// replaced by secret.Hash of its value.
	Params map[string]string
	// Marker is the marker the call's instance name carries (see Marker): set by the planner
	// for a new call, copied from the recorded batch for a resumed one (or recognised in its
	// recorded parameters, see BatchMarker); "" for a call whose instances carry none. Apply
	// records it with the batch and looks the instances up by it.
	Marker string
	Resume bool // a pending batch recorded by an earlier apply, sent again as it was
}

// Summary totals a plan.
type Summary struct {
	Purchase       int
	Calls          int
	InstanceMonths int
	Moved          int    // groups whose record moves
	Removed        int    // groups whose record is forgotten
	Renew          int    // instances renewed
	RenewMonths    int    // instance-months the renewals add
	Flags          int    // instances whose renew flag is set
	Lapse          int    // instances lapsing: they leave their group at expiry
	PriceFen       *int64 // purchases and renewals, set when the price was asked for
	// PurchasePriceFen and RenewPriceFen split PriceFen; set when the price was asked for.
	PurchasePriceFen, RenewPriceFen *int64
	Calendar                        Calendar // the calendar of every group
}

// Actions returns every action of the group in a fixed order: move, resume, purchase, renew,
// renew-flag, lapse, then any other main action (none, orphan, remove, invalid). A moved
// group that also buys has move and purchase; the main action (Action) is always among them.
func (g *GroupPlan) Actions() []Action {
	var out []Action
	if g.MovedFrom != "" {
		out = append(out, ActionMove)
	}
	resumes, buys := false, false
	for _, c := range g.Calls {
		resumes = resumes || c.Resume
		buys = buys || !c.Resume
	}
	for _, a := range []struct {
		action Action
		has    bool
	}{
		{ActionResume, resumes || g.Action == ActionResume},
		{ActionPurchase, buys || g.Action == ActionPurchase},
		{ActionRenew, len(g.Renewals) > 0},
		{ActionFlag, len(g.Flags) > 0},
		{ActionLapse, len(g.Lapse) > 0},
	} {
		if a.has {
			out = append(out, a.action)
		}
	}
	if !slices.Contains(out, g.Action) {
		out = append(out, g.Action)
	}
	return out
}

// InstancesOf returns the instances action touches in the group, sorted: those renewed, those
// whose flag is set, those lapsing, or for a move, a removal or an orphan the group's live
// instances. A purchase or a resume touches none yet.
func (g *GroupPlan) InstancesOf(a Action) []string {
	var ids []string
	switch a {
	case ActionRenew:
		for _, r := range g.Renewals {
			ids = append(ids, r.InstanceID)
		}
	case ActionFlag:
		for _, f := range g.Flags {
			ids = append(ids, f.InstanceIDs...)
		}
	case ActionLapse:
		ids = append(ids, g.Lapse...)
	case ActionMove, ActionRemove, ActionOrphan:
		ids = append(ids, g.InstanceIDs...)
	}
	slices.Sort(ids)
	return ids
}
