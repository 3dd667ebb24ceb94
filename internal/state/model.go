package state

import "time"

// FormatVersion is the version of the state file format this build writes.
const FormatVersion = "1.0"

// Batch statuses.
const (
	StatusPending = "pending" // journaled before the call was sent; outcome not yet known
	StatusDone    = "done"    // the API answered with success
	StatusFailed  = "failed"  // the API answered with an error: nothing was bought
)

// Batch kinds.
const (
	KindRun    = "run"    // a RunInstances call
	KindImport = "import" // instances adopted by `fleet import`
)

// State is the record of everything fleet bought or adopted for one fleet.
type State struct {
	FormatVersion string            `json:"format_version"`
	Lineage       string            `json:"lineage"`
	Serial        uint64            `json:"serial"`
	Fleet         string            `json:"fleet"`
	Region        string            `json:"region"`
	Groups        map[string]*Group `json:"groups"`

	// Journaled counts the journal records Read replayed onto the file's content; it is
	// never written. With the lineage and serial it identifies the content a plan was made
	// from: a journal changes the state without changing its serial until it is folded in.
	Journaled int `json:"-"`

	// Version is the store's opaque identity of this snapshot of the state, set by
	// Store.Read and Store.Write; never written. A plan records it, and a saved plan is
	// refused once the store gives another.
	Version string `json:"-"`
}

// JournalRecords returns how many journal records Read replayed onto the state file's
// content (0 when the state has no journal, or when its journal was already folded in).
func (s *State) JournalRecords() int { return s.Journaled }

// Group is one group's purchase history and its instances.
type Group struct {
	Batches   []*Batch    `json:"batches"`   // by Seq, ascending
	Instances []*Instance `json:"instances"` // by ID
}

// Batch is one RunInstances call (or one import) with its exact parameters and outcome.
type Batch struct {
	Seq         int               `json:"seq"`
	Kind        string            `json:"kind"`
	ClientToken string            `json:"client_token,omitempty"`
	Marker      string            `json:"marker,omitempty"` // the instance-name marker, recorded when the call is journaled; "" when none or recorded before batches kept it
	GoodsNum    int               `json:"goods_num"`
	Params      map[string]string `json:"params,omitempty"` // as sent; secrets as secret.Hash
	Status      string            `json:"status"`
	DealIDs     []string          `json:"deal_ids"`
	InstanceIDs []string          `json:"instance_ids"`
	Error       *BatchError       `json:"error,omitempty"`
	Attempts    int               `json:"attempts,omitempty"`
	Adopted     bool              `json:"adopted,omitempty"` // done: instances found by the call's name marker, not read from its answer
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// BatchError is the API's answer to a failed call, or the last error of one still pending.
type BatchError struct {
	Code    int    `json:"code,omitempty"`
	Name    string `json:"name,omitempty"` // codeDesc, e.g. OperationFail.SystemBusy
	Message string `json:"message"`
	Class   string `json:"class,omitempty"`
}

// Instance is one instance recorded in a group. Status and the fields after it are what the
// last refresh saw (DescribeInstances); each is left out of the file while it is unknown, so
// a state written before they were kept reads, and writes, unchanged.
type Instance struct {
	ID       string     `json:"id"`
	Batch    int        `json:"batch"`               // Seq of the batch that bought or imported it
	Status   int        `json:"status"`              // last DescribeInstances status; 0: never read
	StatusAt *time.Time `json:"status_at,omitempty"` // when the recorded values were read

	ZoneID     int        `json:"zone_id,omitempty"`     // numeric zone; 0: not read
	PrivateIPs []string   `json:"private_ips,omitempty"` // lanIp (primary NIC) first; nil: not read or none
	PublicIPs  []string   `json:"public_ips,omitempty"`  // wanIpSet, EIPs included; nil: not read or none
	Deadline   *time.Time `json:"deadline,omitempty"`    // deadlineTime; nil: not read, none (postpaid) or unreadable
	AutoRenew  *int       `json:"auto_renew,omitempty"`  // the cloud's flag (AutoRenew*); nil: not read
	// Renewing is a renewal journaled before it was sent and whose outcome is not known yet;
	// nil when none is.
	Renewing *Renewing `json:"renewing,omitempty"`
}

// Renewing is a RenewInstance that may have been sent: RenewInstance takes no client token,
// so before anything is sent again the instance's deadline is read, and a deadline later
// than From means the renewal was made.
type Renewing struct {
	From   time.Time `json:"from"`   // the deadline before the renewal
	Period int       `json:"period"` // months
	At     time.Time `json:"at"`     // when it was journaled
}

// The cloud's renew flag of an instance (DescribeInstances autoRenew, SetAutoRenew).
const (
	AutoRenewNotify = 0 // no automatic renewal: the owner is notified before expiry
	AutoRenewAuto   = 1 // renewed one month at each expiry while the balance allows
	AutoRenewNever  = 2 // will not be renewed
)

// Instance statuses of DescribeInstances that fleet acts on.
const (
	InstanceFailed    = -1 // creation failed
	InstanceRunning   = 2
	InstanceCreating  = 3
	InstanceReturned  = 5
	InstanceReturning = 6
)

// Gone reports whether the instance no longer counts as current: its creation failed or it
// was returned.
func (i *Instance) Gone() bool {
	return i.Status == InstanceFailed || i.Status == InstanceReturned || i.Status == InstanceReturning
}

// JournalRecord is one line of the journal: the latest version of one batch of one group, or
// an update of one of its instances. Replaying a batch replaces the group's batch of the same
// Seq (or appends it) and, for a done batch, records its instances; replaying an instance
// update sets what it carries on the recorded instance.
type JournalRecord struct {
	Group    string          `json:"group"`
	Batch    *Batch          `json:"batch,omitempty"`
	Instance *InstanceRecord `json:"instance,omitempty"`
}

// InstanceRecord updates one recorded instance: a renewal journaled before it is sent, or
// the deadline and renew flag a renewal or SetAutoRenew left.
type InstanceRecord struct {
	ID string `json:"id"`
	// Renewing, when set, is the instance's renewal in flight, journaled before it is sent;
	// Renewed clears it: the renewal was made or is known not to have been. A record with
	// neither leaves the renewal in flight as it is.
	Renewing *Renewing `json:"renewing,omitempty"`
	Renewed  bool      `json:"renewed,omitempty"`
	// Deadline and AutoRenew, when set, are the instance's new deadline and renew flag,
	// learnt at At. The instance's StatusAt moves to At with a deadline that was read, not
	// with one Computed from a renewal (the API's answer to a renewal names no deadline).
	Deadline  *time.Time `json:"deadline,omitempty"`
	Computed  bool       `json:"computed,omitempty"`
	AutoRenew *int       `json:"auto_renew,omitempty"`
	At        time.Time  `json:"at"`
}
