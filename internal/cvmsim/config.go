package cvmsim

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The demo credential pair, accepted by a simulator whose Config names no other. They are
// printed by `fleet sim --help` and written in the README; they open nothing but a simulator.
const (
	DemoSecretID  = "AKIDfleetDEMO0000000000000000000000"
	DemoSecretKey = "fleetDemoSecretKey00000000000000"
)

// Path is the path the simulator serves, the path of the legacy API's entry.
const Path = "/v2/index.php"

// Unlimited is the balance of an account that any purchase can pay (see SetBalance).
const Unlimited int64 = -1

// Config sets up a Server. The zero value is a working simulator with the demo credentials,
// an unlimited balance and quota, no faults and instances that start running at once.
type Config struct {
	// SecretID and SecretKey are the one credential pair accepted; both empty means the demo
	// pair.
	SecretID  string
	SecretKey string

	// Seed seeds the random choices (faults, jitter, instance ids). 0 picks a seed from the
	// clock; Server.Seed reports the seed in use.
	Seed int64

	// Latency delays every answer; Jitter adds a random extra delay in [0, Jitter).
	Latency time.Duration
	Jitter  time.Duration
	// AnswerDelay holds every answer after the request was handled: a client that gives up
	// (or dies) meanwhile has its request done, purchase included, and never hears of it.
	AnswerDelay time.Duration
	// BusyRate is the share (0..1) of authenticated requests answered with
	// OperationFail.SystemBusy without doing anything.
	BusyRate float64
	// DropRate is the share (0..1) of requests of DropActions that take effect and then get
	// no answer: the connection is closed.
	DropRate float64
	// DropActions are the actions whose answers DropRate drops; nil means RunInstances only.
	DropActions []string
	// FailRate is the share (0..1) of new instances whose creation fails: they turn to status
	// -1 instead of 2 when CreateDelay has passed.
	FailRate float64

	// Quota is the most instances the account may hold (those neither returned nor failed);
	// 0 means no limit.
	Quota int
	// BalanceFen is the account balance in fen at the start of a new data file (or of a
	// simulator without one). 0 means unlimited; a positive balance is charged by every
	// purchase and stays finite when spent down to 0 (see SetBalance).
	BalanceFen int64

	// CreateDelay is how long a new instance stays in status 3 (creating).
	CreateDelay time.Duration
	// TokenTTL is how long a clientToken is remembered after its purchase; 0 means forever.
	TokenTTL time.Duration

	// DataPath is the data file; "" keeps everything in memory.
	DataPath string
	// VPCs are the networks the simulator knows, in addition to those of the data file; the
	// subnets of VPCs with the same id are merged.
	VPCs []VPC
	// Images are the ids of the images the simulator has; an imageId outside them (and
	// outside WindowsImages) is refused. nil means the built-in list, DefaultImages.
	Images []string
	// WindowsImages are the image ids of Windows images, known to the simulator whatever
	// Images says; every other image is Linux but for the Windows images of the built-in list.
	WindowsImages []string

	// Log receives one line per request when not nil. Lines never carry a secret.
	Log io.Writer
	// Now is the wall clock, against which request Timestamps are checked; nil means
	// time.Now. The simulated clock (see Server.Now) follows it unless Start is set.
	Now func() time.Time
	// Start, when not zero, fixes the simulated clock at that time: it then moves only when
	// advanced (Server.Advance, Server.SetClock or the clock route).
	Start time.Time
}

// VPC is a private network with its subnets.
type VPC struct {
	ID      string   `json:"id"`
	Subnets []Subnet `json:"subnets"`
}

// Subnet is a subnet of a VPC in one zone, with its IPv4 CIDR.
type Subnet struct {
	ID     string `json:"id"`
	ZoneID int    `json:"zone_id"`
	CIDR   string `json:"cidr"`
}

// ParseVPC reads a VPC written as VPC_ID:SUBNET_ID@ZONE=CIDR[,SUBNET_ID@ZONE=CIDR...], e.g.
// "vpc-aaaa1111:subnet-bbbb2222@100003=10.0.1.0/24", the form of `fleet sim --vpc`.
func ParseVPC(s string) (VPC, error) {
	id, rest, ok := strings.Cut(s, ":")
	if !ok || id == "" || rest == "" {
		return VPC{}, fmt.Errorf("parse vpc %q: want VPC_ID:SUBNET_ID@ZONE=CIDR[,...]", s)
	}
	v := VPC{ID: id}
	for _, part := range strings.Split(rest, ",") {
		sid, tail, ok1 := strings.Cut(part, "@")
		zone, cidr, ok2 := strings.Cut(tail, "=")
		if !ok1 || !ok2 || sid == "" {
			return VPC{}, fmt.Errorf("parse vpc %q: subnet %q: want SUBNET_ID@ZONE=CIDR", s, part)
		}
		z, err := strconv.Atoi(zone)
		if err != nil {
			return VPC{}, fmt.Errorf("parse vpc %q: zone %q is not a number", s, zone)
		}
		v.Subnets = append(v.Subnets, Subnet{ID: sid, ZoneID: z, CIDR: cidr})
	}
	if err := v.check(); err != nil {
		return VPC{}, fmt.Errorf("parse vpc %q: %w", s, err)
	}
	return v, nil
}

// check verifies a VPC's ids and CIDRs.
func (v VPC) check() error {
	if !strings.HasPrefix(v.ID, "vpc-") || len(v.ID) <= len("vpc-") {
		return fmt.Errorf("vpc id %q: want the prefix vpc-", v.ID)
	}
	if len(v.Subnets) == 0 {
		return fmt.Errorf("vpc %s: no subnet", v.ID)
	}
	for _, sn := range v.Subnets {
		if !strings.HasPrefix(sn.ID, "subnet-") || len(sn.ID) <= len("subnet-") {
			return fmt.Errorf("vpc %s: subnet id %q: want the prefix subnet-", v.ID, sn.ID)
		}
		if sn.ZoneID <= 0 {
			return fmt.Errorf("vpc %s: subnet %s: zone %d is not a zone id", v.ID, sn.ID, sn.ZoneID)
		}
		p, err := netip.ParsePrefix(sn.CIDR)
		if err != nil || !p.Addr().Is4() {
			return fmt.Errorf("vpc %s: subnet %s: %q is not an IPv4 CIDR", v.ID, sn.ID, sn.CIDR)
		}
		if p.Masked() != p {
			return fmt.Errorf("vpc %s: subnet %s: %q has host bits set (network %s)", v.ID, sn.ID, sn.CIDR, p.Masked())
		}
		if p.Bits() > 29 {
			return fmt.Errorf("vpc %s: subnet %s: %q leaves no usable address (at most /29)", v.ID, sn.ID, sn.CIDR)
		}
	}
	return nil
}

// check verifies a Config and fills in its defaults.
func (c *Config) check() error {
	if (c.SecretID == "") != (c.SecretKey == "") {
		return errors.New("secret id and secret key: give both or neither")
	}
	if c.SecretID == "" {
		c.SecretID, c.SecretKey = DemoSecretID, DemoSecretKey
	}
	for name, r := range map[string]float64{"busy rate": c.BusyRate, "drop rate": c.DropRate, "fail rate": c.FailRate} {
		if !(r >= 0 && r <= 1) {
			return fmt.Errorf("%s %v: want a share between 0 and 1", name, r)
		}
	}
	for name, d := range map[string]time.Duration{"latency": c.Latency, "jitter": c.Jitter, "answer delay": c.AnswerDelay, "create delay": c.CreateDelay, "token ttl": c.TokenTTL} {
		if d < 0 {
			return fmt.Errorf("%s %v: want a duration >= 0", name, d)
		}
	}
	for _, a := range c.DropActions {
		if _, ok := actions[a]; !ok {
			return fmt.Errorf("drop action %q: not an action the simulator serves", a)
		}
	}
	if c.Quota < 0 {
		return fmt.Errorf("quota %d: want a number >= 0 (0: no limit)", c.Quota)
	}
	if c.BalanceFen < 0 {
		return fmt.Errorf("balance %d fen: want an amount >= 0 (0: unlimited)", c.BalanceFen)
	}
	if err := checkImageIDs("image", c.Images); err != nil {
		return err
	}
	for _, v := range c.VPCs {
		if err := v.check(); err != nil {
			return err
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}
