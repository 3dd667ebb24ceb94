package spec

import (
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"
)

// File is one spec file handed to Load: its name as shown to the user and its bytes.
type File struct {
	Name string
	Src  []byte
}

// Inputs are the variable values given from outside the spec files.
// Precedence: Vars over VarFiles (later files win) over Env over a variable's default.
type Inputs struct {
	Vars     map[string]string // --var NAME=VALUE; the raw text, interpreted by the variable's type
	VarFiles []File            // --var-file contents, HCL syntax (name = value)
	Env      map[string]string // FLEET_VAR_<name> values keyed by name
}

// Fleet is the evaluated spec: the fleet block, its groups and everything found wrong.
type Fleet struct {
	Name      string
	Region    string // canonical long region code, e.g. "ap-guangzhou"
	ProjectID int
	Groups    []*Group // sorted by Name
	Vars      []VarValue
	Diags     hcl.Diagnostics // every diagnostic of the spec, group ones included
	DeclRange hcl.Range       // the fleet block's header
	Backend   *Backend        // where the state lives; nil: the local file
	Moved     []Moved         // the moved blocks that passed their checks, in file order
	Removed   []Removed       // the removed blocks that passed their checks, in file order
}

// Backend values.
const (
	BackendPostgres      = "postgres"
	DefaultBackendSchema = "fleet"
)

// Backend is the fleet block's backend block: the state is kept in PostgreSQL. The
// connection comes from the environment, never from the spec.
type Backend struct {
	Type      string // BackendPostgres
	Schema    string // DefaultBackendSchema when not set
	DeclRange hcl.Range
	// Invalid reports errors inside the block: where the state lives is then not known, and
	// no command may guess it.
	Invalid bool
}

// VarValue records a variable's value for saved plans: sensitive values only by hash.
type VarValue struct {
	Name      string
	Sensitive bool
	Hash      string // secret.Hash of the value's canonical JSON
}

// Group is one group of instances; a group with for_each yields one Group per key, named
// NAME[KEY].
type Group struct {
	Name      string
	Count     int
	Config    Config
	DeclRange hcl.Range            // the group block's header
	Ranges    map[string]hcl.Range // attribute -> range of the expression that set it (group or defaults)
	// Literals tells, for each attribute in Ranges, whether its value was written out in a
	// file without any reference to a variable, local or each (the password-literal rule).
	Literals map[string]bool
	Diags    hcl.Diagnostics // this group's own diagnostics
	// Renewal is what the group asks for as its instances near expiry. It is no part of
	// Config: it is not sent to RunInstances, so it changes no parameters, client tokens or
	// markers, and changing it is no drift of what was bought.
	Renewal Renewal
}

// Valid reports whether the group has no errors and so may be purchased.
func (g *Group) Valid() bool { return !g.Diags.HasErrors() }

// Config is a group's configuration with every default applied. Enumerations hold the
// spelling of the spec language ("public", "local", "linux"); Params maps them to the API.
type Config struct {
	CPU           int
	Mem           int
	ImageID       string
	ImageType     string // private, public, marketplace, shared
	Period        int
	InstanceType  string // CVM.S1 ...
	ZoneID        int    // 0: not set, the API picks the region's first zone
	StorageType   string // local, cloud, local_ssd
	StorageSize   int
	RootSize      int
	OS            string // linux, windows; not sent
	BandwidthType string
	Bandwidth     int
	WanIP         bool
	VpcID         string
	SubnetID      string
	VpcGateway    bool
	PrivateIPs    []string
	Password      string // secret: never written anywhere but the request
	KeyID         string
	SecurityAgent bool
	MonitorAgent  bool
	ProjectID     int
	InstanceName  string
}

// Renewal modes, the values of a group's renew attribute.
const (
	RenewNotify = "notify" // autoRenew 0: fleet only shows when instances expire
	RenewAuto   = "auto"   // autoRenew 1: the cloud renews one month at each expiry
	RenewFleet  = "fleet"  // autoRenew 0: apply renews instances that expire within WithinDays
	RenewNever  = "never"  // autoRenew 2: the instances expire
)

// RenewModes are the renewal modes in the order of the spec language's table.
var RenewModes = []string{RenewNotify, RenewAuto, RenewFleet, RenewNever}

// Renewal defaults and limits.
const (
	DefaultRenewWithinDays = 14
	DefaultRenewPeriod     = 1
	MaxRenewWithinDays     = 60
	MaxRenewPeriod         = 36 // months, as the purchase period
)

// Renewal is a group's renewal policy with every default applied: its mode, and for
// RenewFleet how close to its deadline an instance is renewed and for how many months. Load
// always fills it; the zero Renewal, of a group made by hand, means RenewNotify.
type Renewal struct {
	Mode       string // RenewNotify, RenewAuto, RenewFleet or RenewNever
	WithinDays int    // RenewFleet: renew an instance that expires within this many days, 1..60
	Period     int    // RenewFleet: months added by a renewal, 1..36
}

// AutoRenew returns the cloud's renew flag (autoRenew of SetAutoRenew and DescribeInstances)
// that the mode asks for: 1 for RenewAuto, 2 for RenewNever, 0 otherwise.
func (r Renewal) AutoRenew() int {
	switch r.Mode {
	case RenewAuto:
		return 1
	case RenewNever:
		return 2
	}
	return 0
}

// ImageTypes maps the spec's image_type to the API's imageType.
var ImageTypes = map[string]int{"private": 1, "public": 2, "marketplace": 3, "shared": 4}

// StorageTypes maps the spec's storage_type to the API's storageType.
var StorageTypes = map[string]int{"local": 1, "cloud": 2, "local_ssd": 3}

// Params returns the RunInstances parameters of the configuration, by API name, as sent.
// It leaves out goodsNum, clientToken and privateIpAddresses.0, which belong to a call.
// Optional parameters the spec left unset are omitted.
func (c Config) Params() map[string]string {
	p := map[string]string{
		"cpu":               itoa(c.CPU),
		"mem":               itoa(c.Mem),
		"imageId":           c.ImageID,
		"imageType":         itoa(ImageTypes[c.ImageType]),
		"period":            itoa(c.Period),
		"instanceType":      c.InstanceType,
		"storageType":       itoa(StorageTypes[c.StorageType]),
		"storageSize":       itoa(c.StorageSize),
		"rootSize":          itoa(c.RootSize),
		"bandwidthType":     c.BandwidthType,
		"bandwidth":         itoa(c.Bandwidth),
		"wanIp":             bit(c.WanIP),
		"isVpcGateway":      bit(c.VpcGateway),
		"needSecurityAgent": bit(c.SecurityAgent),
		"needMonitorAgent":  bit(c.MonitorAgent),
		"projectId":         itoa(c.ProjectID),
		"instanceName":      c.InstanceName,
	}
	if c.ZoneID != 0 {
		p["zoneId"] = itoa(c.ZoneID)
	}
	for k, v := range map[string]string{"vpcId": c.VpcID, "subnetId": c.SubnetID, "password": c.Password, "keyId": c.KeyID} {
		if v != "" {
			p[k] = v
		}
	}
	return p
}

// SortedKeys returns the keys of a parameter map in byte order, the order the API signs them.
func SortedKeys(p map[string]string) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func itoa(n int) string { return strconv.Itoa(n) }

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
