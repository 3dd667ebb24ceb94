package planview

import (
	"strconv"
	"strings"

	"fleet/planner"
	"fleet/spec"
)

// Config is what a group buys, read from its request parameters: the `config` object of a
// group in the JSON document, a line of the human rendering and columns of the Markdown
// table. Numbers the parameters lack are 0; strings they lack are "".
type Config struct {
	InstanceType  string `json:"instance_type"`
	CPU           int    `json:"cpu"`
	Mem           int    `json:"mem"` // GB
	ZoneID        int    `json:"zone_id"`
	ImageID       string `json:"image_id"`
	Period        int    `json:"period"`       // months
	RootSize      int    `json:"root_size"`    // GB
	StorageType   string `json:"storage_type"` // local, cloud, local_ssd
	StorageSize   int    `json:"storage_size"` // GB of data disk
	VpcID         string `json:"vpc_id"`
	SubnetID      string `json:"subnet_id"`
	WanIP         bool   `json:"wan_ip"`
	BandwidthType string `json:"bandwidth_type"`
	Bandwidth     int    `json:"bandwidth"` // Mbps
}

// groupConfig returns what group g buys and true, or false when the plan does not say: the
// desired configuration of a group of the spec, or, for a group the spec does not declare,
// the parameters of its first new call, else of its first call.
func groupConfig(g *planner.GroupPlan) (Config, bool) {
	params := g.Config
	if params == nil {
		for _, c := range g.Calls {
			if params == nil || !c.Resume {
				params = c.Params
			}
			if !c.Resume {
				break
			}
		}
	}
	if params == nil {
		return Config{}, false
	}
	return configOf(params), true
}

// shownConfig returns what group g buys when the plan has something to say about it: it
// makes calls or its configuration changed.
func shownConfig(g *planner.GroupPlan) (Config, bool) {
	if len(g.Calls) == 0 && g.ConfigDiff == "" {
		return Config{}, false
	}
	return groupConfig(g)
}

// configOf reads a Config from request parameters.
func configOf(p map[string]string) Config {
	num := func(k string) int {
		n, _ := strconv.Atoi(p[k])
		return n
	}
	c := Config{
		InstanceType:  p["instanceType"],
		CPU:           num("cpu"),
		Mem:           num("mem"),
		ZoneID:        num("zoneId"),
		ImageID:       p["imageId"],
		Period:        num("period"),
		RootSize:      num("rootSize"),
		StorageType:   p["storageType"],
		StorageSize:   num("storageSize"),
		VpcID:         p["vpcId"],
		SubnetID:      p["subnetId"],
		WanIP:         p["wanIp"] == "1",
		BandwidthType: p["bandwidthType"],
		Bandwidth:     num("bandwidth"),
	}
	for name, n := range spec.StorageTypes {
		if strconv.Itoa(n) == c.StorageType {
			c.StorageType = name
		}
	}
	return c
}

// zone returns "zone 100003", or "any zone" when the zone is left to the API.
func (c Config) zone() string {
	if c.ZoneID == 0 {
		return "any zone"
	}
	return "zone " + strconv.Itoa(c.ZoneID)
}

// disks returns "root 50 GB, data 100 GB (cloud)".
func (c Config) disks() string {
	s := "root " + strconv.Itoa(c.RootSize) + " GB"
	if c.StorageSize > 0 {
		s += ", data " + strconv.Itoa(c.StorageSize) + " GB"
	}
	if c.StorageType != "" {
		s += " (" + c.StorageType + ")"
	}
	return s
}

// network returns "vpc-1/subnet-2, public IP 10 Mbps (PayByTraffic)" or "classic, no public IP".
func (c Config) network() string {
	var parts []string
	switch {
	case c.VpcID != "" && c.SubnetID != "":
		parts = append(parts, c.VpcID+"/"+c.SubnetID)
	case c.VpcID != "":
		parts = append(parts, c.VpcID)
	default:
		parts = append(parts, "classic")
	}
	if c.WanIP {
		ip := "public IP " + strconv.Itoa(c.Bandwidth) + " Mbps"
		if c.BandwidthType != "" {
			ip += " (" + c.BandwidthType + ")"
		}
		parts = append(parts, ip)
	} else {
		parts = append(parts, "no public IP")
	}
	return strings.Join(parts, ", ")
}

// cpu returns "2 cpu"; mem "4 GB"; period "12 months".
func (c Config) cpu() string    { return strconv.Itoa(c.CPU) + " cpu" }
func (c Config) mem() string    { return strconv.Itoa(c.Mem) + " GB" }
func (c Config) period() string { return count(c.Period, "month") }

// line returns the configuration on one line: "CVM.S2, 2 cpu, 4 GB, zone 100003,
// img-8toqc6s3, 12 months, disks root 50 GB (cloud), network classic, no public IP".
func (c Config) line() string {
	return strings.Join([]string{c.InstanceType, c.cpu(), c.mem() + " mem", c.zone(), "image " + c.ImageID, c.period(),
		"disks " + c.disks(), "network " + c.network()}, ", ")
}
