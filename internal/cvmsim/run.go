package cvmsim

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"time"

	"fleet/internal/catalog"
)

// Instance is an instance the simulator sold, as kept in its data file.
type Instance struct {
	ID            string    `json:"id"`
	UUID          string    `json:"uuid"`
	Name          string    `json:"name"`
	Region        string    `json:"region"` // long code
	ZoneID        int       `json:"zone_id"`
	ProjectID     int       `json:"project_id"`
	InstanceType  string    `json:"instance_type"`
	CPU           int       `json:"cpu"`
	Mem           int       `json:"mem"`
	ImageID       string    `json:"image_id"`
	ImageType     int       `json:"image_type"`
	Windows       bool      `json:"windows,omitempty"`
	StorageType   int       `json:"storage_type"`
	StorageSize   int       `json:"storage_size"`
	RootSize      int       `json:"root_size"`
	BandwidthType string    `json:"bandwidth_type"`
	Bandwidth     int       `json:"bandwidth"`
	LanIP         string    `json:"lan_ip"`
	WanIP         string    `json:"wan_ip,omitempty"`
	VpcID         string    `json:"vpc_id,omitempty"`
	SubnetID      string    `json:"subnet_id,omitempty"`
	VpcGateway    bool      `json:"vpc_gateway,omitempty"`
	Period        int       `json:"period"`
	DealID        int64     `json:"deal_id"`
	ClientToken   string    `json:"client_token,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	ReadyAt       time.Time `json:"ready_at"`         // when creation ends
	Fails         bool      `json:"fails,omitempty"`  // creation ends in failure (-1)
	Status        int       `json:"status"`           // 3 until ReadyAt unless Pinned
	Pinned        bool      `json:"pinned,omitempty"` // Status was set by SetStatus and stays
	StatusAt      time.Time `json:"status_at"`
	// Deadline is when the prepaid period ends: creation + period months, moved by renewals.
	Deadline time.Time `json:"deadline"`
	// AutoRenew is the renew flag of DescribeInstances: 0 notify (no auto-renewal), 1
	// auto-renew, 2 never renew.
	AutoRenew int `json:"auto_renew,omitempty"`
	// Lapse is "" for an instance within its period, "isolated" after a deadline that was
	// not renewed (status 4, renewable), "released" once the isolation is over (status 5).
	Lapse string `json:"lapse,omitempty"`
	// Renewals counts the RenewInstance deals of the instance; AutoRenewals the renewals made
	// at its deadlines by its flag.
	Renewals     int `json:"renewals,omitempty"`
	AutoRenewals int `json:"auto_renewals,omitempty"`
}

// Instance statuses of DescribeInstances that the simulator produces by itself.
const (
	StatusFailed   = -1
	StatusRunning  = 2
	StatusCreating = 3
	StatusIsolated = 4 // the document's "stopped": the state of an instance isolated at its deadline
	StatusReturned = 5
)

// settled returns the instance with its status at now: a creating instance whose creation
// time is over is running, or failed.
func (in Instance) settled(now time.Time) Instance {
	if !in.Pinned && in.Status == StatusCreating && !now.Before(in.ReadyAt) {
		in.Status, in.StatusAt = StatusRunning, in.ReadyAt
		if in.Fails {
			in.Status = StatusFailed
		}
	}
	return in
}

// gone reports whether the instance no longer counts against the quota or holds its address.
func gone(status int) bool { return status == StatusReturned || status == StatusFailed }

// tokenRecord is what a clientToken remembers: the digest of its call's parameters and the
// first answer.
type tokenRecord struct {
	Digest string    `json:"params_sha256"`
	Answer RunAnswer `json:"answer"`
	At     time.Time `json:"at"`
}

// runInstances handles RunInstances.
func (s *Server) runInstances(region *catalog.Region, p map[string]string) (any, *apiError) {
	o, err := s.parseOrder(region, p)
	if err != nil {
		return nil, err
	}
	digest := paramsDigest(p)
	s.mu.Lock()
	answer, err := s.purchase(o, digest)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if perr := s.persist(); perr != nil {
		return nil, &apiError{Code: CodeBusy, Name: NameInternalError, Message: "the simulator could not save its data file; try again"}
	}
	return runBody{envelope: okEnvelope(), RunAnswer: answer}, nil
}

// purchase replays a known token or buys the order. Callers hold mu.
func (s *Server) purchase(o *order, digest string) (RunAnswer, *apiError) {
	now := s.Now()
	if o.token != "" {
		if rec, ok := s.tokens[o.token]; ok {
			if s.cfg.TokenTTL > 0 && now.Sub(rec.At) >= s.cfg.TokenTTL {
				delete(s.tokens, o.token)
				s.version++
			} else if rec.Digest != digest {
				return RunAnswer{}, paramErr(NameTokenMismatch,
					"clientToken %s was used by a call with other parameters; use a new token for a different call", o.token)
			} else {
				return rec.Answer, nil
			}
		}
	}
	var sub *subnetInfo
	if o.vpcID != "" {
		if _, ok := s.vpcs[o.vpcID]; !ok {
			return RunAnswer{}, paramErr(NameVpcNotFound, "vpcId %s does not exist", o.vpcID)
		}
		sn, ok := s.subnets[o.subnetID]
		if !ok || sn.vpc != o.vpcID {
			return RunAnswer{}, paramErr(NameSubnetNotFound, "subnetId %s does not exist in %s", o.subnetID, o.vpcID)
		}
		if sn.ZoneID != o.zoneID {
			return RunAnswer{}, paramErr(NameSubnetZone, "subnet %s is in zone %d, not in zoneId %d", o.subnetID, sn.ZoneID, o.zoneID)
		}
		sub = sn
	}
	var lanIPs []string
	if sub != nil {
		used := s.usedIPs(sub.ID, now)
		if o.privateIP != "" {
			a := netip.MustParseAddr(o.privateIP)
			switch {
			case !sub.prefix.Contains(a):
				return RunAnswer{}, paramErr(NameIPNotInCIDR, "%s is not in subnet %s (%s)", a, sub.ID, sub.CIDR)
			case reserved(sub.prefix, a):
				return RunAnswer{}, paramErr(NameReservedIP, "%s is reserved in %s (network, gateway or broadcast address)", a, sub.CIDR)
			case used[a]:
				return RunAnswer{}, paramErr(NameIPInUse, "%s is already used in subnet %s", a, sub.ID)
			}
			lanIPs = []string{a.String()}
		} else {
			for a := sub.prefix.Addr(); sub.prefix.Contains(a) && len(lanIPs) < o.goodsNum; a = a.Next() {
				if !reserved(sub.prefix, a) && !used[a] {
					lanIPs = append(lanIPs, a.String())
				}
			}
			if len(lanIPs) < o.goodsNum {
				return RunAnswer{}, paramErr(NameSubnetFull, "subnet %s has %d free addresses, %d asked", sub.ID, len(lanIPs), o.goodsNum)
			}
		}
	}
	if s.quota > 0 {
		active := 0
		for _, in := range s.instances {
			if !gone(in.settled(now).Status) {
				active++
			}
		}
		if active+o.goodsNum > s.quota {
			return RunAnswer{}, &apiError{Code: CodeQuota, Name: NameQuotaExceeded,
				Message: fmt.Sprintf("instance quota %d: the account holds %d, %d asked", s.quota, active, o.goodsNum)}
		}
	}
	price := priceFen(o.family.Name, o.cpu, o.mem, o.storageType, o.storageSize, o.rootSize, o.windows,
		o.bandwidthType, o.bandwidth, o.period, o.goodsNum)
	if s.balance != Unlimited && price > s.balance {
		return RunAnswer{}, &apiError{Code: CodeBalance, Name: NameBalanceNotEnough,
			Message: fmt.Sprintf("your balance is not enough: the purchase costs %d fen, the balance is %d fen", price, s.balance)}
	}
	if s.balance != Unlimited {
		s.balance -= price
	}
	deal := s.nextDeal
	s.nextDeal++
	dealKey := strconv.FormatInt(deal, 10)
	answer := RunAnswer{DealIDs: []int64{deal}, InstanceIDs: map[string][]string{dealKey: {}}}
	for i := 0; i < o.goodsNum; i++ {
		in := &Instance{
			ID: s.newInstanceID(), UUID: s.newUUID(), Name: o.name, Region: o.region.Code,
			ZoneID: o.zoneID, ProjectID: o.projectID, InstanceType: o.family.Name, CPU: o.cpu, Mem: o.mem,
			ImageID: o.imageID, ImageType: o.imageType, Windows: o.windows,
			StorageType: o.storageType, StorageSize: o.storageSize, RootSize: o.rootSize,
			BandwidthType: o.bandwidthType, Bandwidth: o.bandwidth, VpcID: o.vpcID, SubnetID: o.subnetID,
			VpcGateway: o.vpcGateway, Period: o.period, DealID: deal, ClientToken: o.token,
			CreatedAt: now, ReadyAt: now.Add(s.cfg.CreateDelay), Status: StatusCreating, StatusAt: now,
			Deadline: addMonths(now, o.period),
		}
		if !s.nextEvent.IsZero() && in.Deadline.Before(s.nextEvent) {
			s.nextEvent = in.Deadline
		}
		if s.cfg.FailRate > 0 && s.rng.Float64() < s.cfg.FailRate {
			in.Fails = true
		}
		if lanIPs != nil {
			in.LanIP = lanIPs[i]
		} else {
			in.LanIP = fmt.Sprintf("10.%d.%d.%d", 1+s.rng.IntN(250), s.rng.IntN(256), 2+s.rng.IntN(250))
		}
		if o.wanIP {
			in.WanIP = fmt.Sprintf("203.0.%d.%d", 113+s.rng.IntN(2), 1+s.rng.IntN(254))
		}
		s.pos[in.ID] = len(s.instances)
		s.instances = append(s.instances, in)
		s.byID[in.ID] = in
		answer.InstanceIDs[dealKey] = append(answer.InstanceIDs[dealKey], in.ID)
	}
	if o.token != "" {
		s.tokens[o.token] = &tokenRecord{Digest: digest, Answer: answer, At: now}
	}
	s.version++
	return answer, nil
}

// usedIPs returns the addresses held in a subnet by instances that are not gone. Callers
// hold mu.
func (s *Server) usedIPs(subnetID string, now time.Time) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	for _, in := range s.instances {
		if in.SubnetID != subnetID || gone(in.settled(now).Status) {
			continue
		}
		if a, err := netip.ParseAddr(in.LanIP); err == nil {
			used[a] = true
		}
	}
	return used
}

// reserved reports whether a is the network, gateway (.1) or broadcast address of p.
func reserved(p netip.Prefix, a netip.Addr) bool {
	network := p.Masked().Addr()
	if a == network || a == network.Next() {
		return true
	}
	b := network.As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return a == netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// instanceIDPattern is the form of every instance id the simulator makes and loads.
var instanceIDPattern = regexp.MustCompile(`^ins-[a-z0-9]{8}$`)

// newInstanceID returns an unused id "ins-" and 8 lowercase letters or digits. Callers hold mu.
func (s *Server) newInstanceID() string {
	for {
		b := []byte("ins-________")
		for i := 4; i < len(b); i++ {
			b[i] = idAlphabet[s.rng.IntN(len(idAlphabet))]
		}
		if id := string(b); s.byID[id] == nil {
			return id
		}
	}
}

// newUUID returns a random UUID in its textual form. Callers hold mu.
func (s *Server) newUUID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
