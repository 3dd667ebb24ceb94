package planner

import "github.com/hashicorp/hcl/v2"

// Action is what the plan does with a group.
type Action string

const (
	ActionPurchase Action = "purchase" // buy instances
	ActionNone     Action = "none"     // nothing to do
	ActionResume   Action = "resume"   // resolve a pending batch of an interrupted apply first
	ActionSurplus  Action = "surplus"  // more instances than desired: a warning, nothing returned
	ActionOrphan   Action = "orphan"   // in the state, not in the spec: a warning
	ActionInvalid  Action = "invalid"  // the group has errors; the plan cannot be applied
	ActionMove     Action = "move"     // the record of a group moves to a new name (a moved block); no call
	ActionRemove   Action = "remove"   // the record of a group is forgotten (a removed block); nothing is returned
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
	PriceFen       *int64 // set when the price was asked for
}

// Actions returns every action of the group, the main one last: a moved group that also
// buys has move and purchase.
func (g *GroupPlan) Actions() []Action {
	if g.MovedFrom != "" && g.Action != ActionMove {
		return []Action{ActionMove, g.Action}
	}
	return []Action{g.Action}
}
