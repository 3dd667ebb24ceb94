package spec

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"fleet/internal/catalog"
)

// The rules of the RunInstances document and of renewal, one diagnostic code each. checkGroup applies the
// rules of one group, checkFleet the rules that span groups. An attribute is checked when the
// spec set it (it has a range in Group.Ranges) or when its default can itself break a rule
// (the default storage type of a family without local disks, an instance name taken from a
// long group name); a diagnostic about a default points at the group's header.

// Password character sets of the RunInstances document. Linux accepts the special characters
// ( ) ` ~ ! @ # $ % ^ & * - + = | { } [ ] : ; ' , . ? / and Windows the same without |.
const (
	ruleLinuxSpecials   = "()`~!@#$%^&*-+=|{}[]:;',.?/"
	ruleWindowsSpecials = "()`~!@#$%^&*-+={}[]:;',.?/"
)

var ruleImageID = regexp.MustCompile(`^img-[a-z0-9]{8}$`)

// ruleMaxInstanceName is the longest instanceName the API accepts, in characters.
const ruleMaxInstanceName = 60

// ruleMaxPeriod is the longest prepaid period, in months.
const ruleMaxPeriod = 36

// ruleChecker collects the diagnostics of one group.
type ruleChecker struct {
	g        *Group
	cat      *catalog.Catalog
	defaults map[string]hcl.Range // the defaults block's attributes; nil: none
	diags    hcl.Diagnostics
}

// inherited reports whether the group took attr's value from the defaults block.
func (c *ruleChecker) inherited(attr string) bool {
	r, ok := c.g.Ranges[attr]
	d, fromDefaults := c.defaults[attr]
	return ok && fromDefaults && sameRange(r, d)
}

// set reports whether the spec gave attr a well-typed value.
func (c *ruleChecker) set(attr string) bool {
	_, ok := c.g.Ranges[attr]
	return ok
}

// subject returns the range of attr's expression, or the group's header when attr holds a
// default.
func (c *ruleChecker) subject(attr string) *hcl.Range {
	if r, ok := c.g.Ranges[attr]; ok {
		return &r
	}
	r := c.g.DeclRange
	return &r
}

func (c *ruleChecker) report(sev hcl.DiagnosticSeverity, code, attr, summary, detail string) {
	c.diags = append(c.diags, WithCode(code, &hcl.Diagnostic{
		Severity: sev,
		Summary:  summary,
		Detail:   detail,
		Subject:  c.subject(attr),
	}))
}

func (c *ruleChecker) errorf(code, attr, summary, format string, args ...any) {
	c.report(hcl.DiagError, code, attr, summary, fmt.Sprintf(format, args...))
}

// checkGroup returns the diagnostics of every rule that g breaks. region is the fleet's
// region, long or short code; a region the catalog does not know is reported by the loader and
// only disables the zone rule here. defaults holds the ranges of the defaults block's
// attributes (nil when there is none). The password's value never appears in a diagnostic.
func checkGroup(region string, g *Group, defaults map[string]hcl.Range) hcl.Diagnostics {
	c := &ruleChecker{g: g, cat: catalog.Default(), defaults: defaults}
	cfg := &g.Config

	if c.set("count") && g.Count < 0 {
		c.errorf("count-range", "count", "Invalid instance count",
			"The count is %d. Set count to a whole number of instances, 0 or more.", g.Count)
	}

	family, familyOK := c.checkInstanceType(cfg.InstanceType)
	if familyOK && c.set("cpu") && c.set("mem") {
		c.checkCPUMem(family, cfg.CPU, cfg.Mem)
	}
	if c.set("image_id") && !ruleImageID.MatchString(cfg.ImageID) {
		c.errorf("image-id-format", "image_id", "Invalid image ID",
			"The image ID %q is not \"img-\" followed by 8 lowercase letters or digits, such as \"img-lkxqa4kj\". "+
				"Use the unImgId that DescribeImages returns for the image.", cfg.ImageID)
	}
	if (c.set("image_type") || cfg.ImageType != "") && !ruleKnown(ImageTypes, cfg.ImageType) {
		c.errorf("image-type", "image_type", "Invalid image type",
			"The image type %q is not one of %s.%s", cfg.ImageType,
			ruleQuotedList(ruleKeys(ImageTypes)), ruleDidYouMean(cfg.ImageType, ruleKeys(ImageTypes)))
	}
	if c.set("period") && (cfg.Period < 1 || cfg.Period > ruleMaxPeriod) {
		c.errorf("period-range", "period", "Invalid purchase period",
			"The period is %d months. Prepaid instances are bought for 1 to %d months; set period within that range.",
			cfg.Period, ruleMaxPeriod)
	}
	if c.set("zone_id") {
		c.checkZone(region, cfg.ZoneID)
	}
	c.checkStorage(family, familyOK)
	c.checkOS(cfg.OS)
	c.checkNetwork()
	c.checkLogin()
	if c.set("project_id") && cfg.ProjectID < 0 {
		c.errorf("project-id", "project_id", "Invalid project ID",
			"The project ID is %d. Set project_id to a project's ID, a whole number of 0 or more (0 is the default project).",
			cfg.ProjectID)
	}
	c.checkRenewal()
	if n := utf8.RuneCountInString(cfg.InstanceName); n > ruleMaxInstanceName {
		if c.set("instance_name") {
			c.errorf("instance-name-length", "instance_name", "Instance name too long",
				"The instance name has %d characters; the API accepts at most %d. Shorten instance_name.",
				n, ruleMaxInstanceName)
		} else {
			c.errorf("instance-name-length", "instance_name", "Instance name too long",
				"The instance name defaults to the group name, which has %d characters; the API accepts at most %d. "+
					"Set instance_name to a name of at most %d characters.", n, ruleMaxInstanceName, ruleMaxInstanceName)
		}
	}
	return c.diags
}

// checkRenewal checks renew, renew_within_days and renew_period, and warns about a window or
// a renewal period written in a group that fleet does not renew. Those written in the
// defaults block are checkDefaultsRenewal's: other groups may use them.
func (c *ruleChecker) checkRenewal() {
	rn := &c.g.Renewal
	modeOK := slices.Contains(RenewModes, rn.Mode)
	if !modeOK && c.set("renew") {
		c.errorf("renew", "renew", "Invalid renewal mode",
			"The renewal mode %q is not one of %s.%s Set renew to \"notify\" to only be shown when instances "+
				"expire, \"auto\" for the cloud to renew them one month at each expiry, \"fleet\" for apply to "+
				"renew them, or \"never\" to let them expire.",
			rn.Mode, ruleQuotedList(RenewModes), ruleDidYouMean(rn.Mode, RenewModes))
	}
	if c.set("renew_within_days") && (rn.WithinDays < 1 || rn.WithinDays > MaxRenewWithinDays) {
		c.errorf("renew-within", "renew_within_days", "Invalid renewal window",
			"renew_within_days is %d. Apply renews an instance that expires within this many days; set it to a "+
				"whole number of days from 1 to %d.", rn.WithinDays, MaxRenewWithinDays)
	}
	if c.set("renew_period") && (rn.Period < 1 || rn.Period > MaxRenewPeriod) {
		c.errorf("renew-period", "renew_period", "Invalid renewal period",
			"renew_period is %d months. A prepaid instance is renewed for 1 to %d months; set renew_period "+
				"within that range.", rn.Period, MaxRenewPeriod)
	}
	if !modeOK || rn.Mode == RenewFleet {
		return
	}
	for _, attr := range []string{"renew_within_days", "renew_period"} {
		if c.set(attr) && !c.inherited(attr) {
			c.report(hcl.DiagWarning, "renew-unused", attr, "Renewal setting without effect",
				fmt.Sprintf("%s applies only to groups that fleet renews, and this group has renew = %q, so "+
					"the value is not used. Set renew = \"fleet\" for apply to renew the instances, or remove %s.",
					attr, rn.Mode, attr))
		}
	}
}

// checkDefaultsRenewal warns about renew_within_days and renew_period written in the defaults
// block when no group that takes them renews with fleet: they have no effect then. defaults
// holds the ranges of the defaults block's attributes.
func checkDefaultsRenewal(groups []*Group, defaults map[string]hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, attr := range []string{"renew_within_days", "renew_period"} {
		r, ok := defaults[attr]
		if !ok || len(groups) == 0 {
			continue
		}
		used := false
		for _, g := range groups {
			gr, ok := g.Ranges[attr]
			if !ok || !sameRange(gr, r) {
				continue
			}
			// A group whose renew is wrong may be meant to renew with fleet: the error is news enough.
			if g.Renewal.Mode == RenewFleet || HasCode(g.Diags, "renew") {
				used = true
				break
			}
		}
		if used {
			continue
		}
		diags = append(diags, WithCode("renew-unused", &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Renewal setting without effect",
			Detail: fmt.Sprintf("%s in the defaults block applies only to groups that fleet renews, and no group "+
				"that takes it has renew = \"fleet\", so the value is not used. Set renew = \"fleet\" in the "+
				"groups apply should renew, or in the defaults block, or remove %s.", attr, attr),
			Subject: &r,
		}))
	}
	return diags
}

// checkInstanceType checks the family and returns it when the catalog knows it.
func (c *ruleChecker) checkInstanceType(name string) (*catalog.Family, bool) {
	if name == "" && !c.set("instance_type") {
		return nil, false
	}
	if f, ok := c.cat.Family(name); ok {
		return f, true
	}
	names := c.cat.FamilyNames()
	hint := ruleDidYouMean(name, names)
	// A spec name of the newer APIs, such as S2.MEDIUM4, names the family before the dot.
	if prefix, _, ok := strings.Cut(strings.ToUpper(name), "."); ok && prefix != "CVM" {
		if f, ok := c.cat.Family("CVM." + prefix); ok {
			hint = fmt.Sprintf(" Did you mean %q? This API takes the family in instance_type and the size in cpu and mem.", f.Name)
		}
	}
	c.errorf("instance-type", "instance_type", "Unknown instance type",
		"There is no instance family %q.%s The families are %s.", name, hint, ruleQuotedList(names))
	return nil, false
}

// checkCPUMem checks the (cpu, mem) pair against the family. The diagnostic points at cpu when
// no pair has that core count, and at mem otherwise.
func (c *ruleChecker) checkCPUMem(f *catalog.Family, cpu, mem int) {
	if f.HasPair(cpu, mem) {
		return
	}
	attr := "mem"
	var offered string
	if f.HasCPU(cpu) {
		var mems []string
		for _, p := range f.Pairs() {
			if p.CPU == cpu {
				mems = append(mems, strconv.Itoa(p.Mem))
			}
		}
		offered = fmt.Sprintf(" With %d cores, %s offers %s GB of memory.", cpu, f.Name, ruleOrList(mems))
	} else {
		attr = "cpu"
		var cpus []string
		for _, p := range f.Pairs() {
			if s := strconv.Itoa(p.CPU); !slices.Contains(cpus, s) {
				cpus = append(cpus, s)
			}
		}
		offered = fmt.Sprintf(" %s offers %s cores.", f.Name, ruleOrList(cpus))
	}
	var near []string
	for _, p := range f.Nearest(cpu, mem, 3) {
		near = append(near, fmt.Sprintf("(cpu = %d, mem = %d)", p.CPU, p.Mem))
	}
	c.errorf("cpu-mem-combination", attr, "Invalid cpu and memory combination",
		"%s has no instance with %d cores and %d GB of memory.%s Did you mean %s?",
		f.Name, cpu, mem, offered, ruleOrList(near))
}

// checkZone checks that zone is a zone of the fleet's region.
func (c *ruleChecker) checkZone(region string, zone int) {
	r, ok := c.cat.Region(region)
	if !ok || r.HasZone(zone) {
		return
	}
	var zones []string
	for _, z := range r.Zones {
		zones = append(zones, fmt.Sprintf("%d (%s)", z.ID, z.Name))
	}
	elsewhere := ""
	for _, other := range c.cat.Regions() {
		if other != r && other.HasZone(zone) {
			elsewhere = fmt.Sprintf(" Zone %d belongs to %s, not to this fleet's region.", zone, other.Code)
		}
	}
	c.errorf("zone-id", "zone_id", "Invalid zone",
		"Zone %d is not a zone of %s (%s).%s Its zones are %s; set zone_id to one of them, or leave zone_id out "+
			"to get the region's first zone, %d.", zone, r.Code, r.Name, elsewhere, strings.Join(zones, ", "),
		r.DefaultZone().ID)
}

// checkStorage checks the data disk (type, offer of the family, step and range) and the system
// disk (range, step, Windows size).
func (c *ruleChecker) checkStorage(f *catalog.Family, familyOK bool) {
	cfg := &c.g.Config
	typeID, typeOK := StorageTypes[cfg.StorageType]
	if !typeOK && (c.set("storage_type") || cfg.StorageType != "") {
		c.errorf("storage-type", "storage_type", "Invalid storage type",
			"The storage type %q is not one of %s.%s", cfg.StorageType,
			c.storageTypeList(), ruleDidYouMean(cfg.StorageType, ruleKeys(StorageTypes)))
	}
	var rng catalog.StorageRange
	rangeOK := false
	if typeOK && familyOK {
		rng, rangeOK = f.Storage(typeID)
		if !rangeOK {
			var offered []string
			for _, t := range f.StorageTypes() {
				offered = append(offered, strconv.Quote(c.cat.StorageTypeName(t)))
			}
			how := "Set storage_type"
			if !c.set("storage_type") {
				how = fmt.Sprintf("The storage type defaults to %q. Set storage_type", cfg.StorageType)
			}
			c.errorf("storage-type-family", "storage_type", "Storage type not offered by the instance family",
				"%s instances have no %q (%s) disks; the system disk and any data disk use the storage type. "+
					"%s to %s.", f.Name, cfg.StorageType, c.storageTypeDescription(typeID), how, ruleOrList(offered))
		}
	}
	if c.set("storage_size") && cfg.StorageSize != 0 {
		step := c.cat.DataDiskStep()
		if cfg.StorageSize > 0 && cfg.StorageSize%step != 0 {
			c.errorf("storage-size-step", "storage_size", "Invalid data disk size",
				"The data disk size is %d GB; it must be a multiple of %d GB, such as %d or %d.",
				cfg.StorageSize, step, cfg.StorageSize/step*step, (cfg.StorageSize/step+1)*step)
		}
		switch {
		case cfg.StorageSize < 0:
			c.errorf("storage-size-range", "storage_size", "Invalid data disk size",
				"The data disk size is %d GB. Set storage_size to 0 for no data disk, or to a positive size in GB.",
				cfg.StorageSize)
		case rangeOK && !rng.Contains(cfg.StorageSize):
			c.errorf("storage-size-range", "storage_size", "Data disk size out of range",
				"The data disk size is %d GB, but %s offers %q (%s) data disks of %d to %d GB. "+
					"Set storage_size within that range, or to 0 for no data disk.",
				cfg.StorageSize, f.Name, cfg.StorageType, c.storageTypeDescription(typeID), rng.Min, rng.Max)
		}
	}
	if !c.set("root_size") {
		return
	}
	switch cfg.OS {
	case "linux":
		rule, _ := c.cat.SystemDisk("linux")
		if cfg.RootSize < rule.Min || cfg.RootSize > rule.Max {
			c.errorf("root-size-range", "root_size", "System disk size out of range",
				"The system disk size is %d GB; a Linux system disk is %d to %d GB. Set root_size within that range "+
					"(%d GB is free).", cfg.RootSize, rule.Min, rule.Max, rule.Default)
		}
		if cfg.RootSize%rule.Step != 0 {
			c.errorf("root-size-step", "root_size", "Invalid system disk size",
				"The system disk size is %d GB; a Linux system disk grows in steps of %d GB. Set root_size to one of %s.",
				cfg.RootSize, rule.Step, ruleOrList(ruleSteps(rule)))
		}
	case "windows":
		rule, _ := c.cat.SystemDisk("windows")
		if cfg.RootSize != rule.Default {
			c.errorf("root-size-windows", "root_size", "Windows system disk size is fixed",
				"The system disk size is %d GB, but a Windows system disk is always %d GB. "+
					"Remove root_size or set it to %d.", cfg.RootSize, rule.Default, rule.Default)
		}
	}
}

// checkOS checks the operating system that drives the disk, password and key rules.
func (c *ruleChecker) checkOS(os string) {
	if os == "linux" || os == "windows" || (os == "" && !c.set("os")) {
		return
	}
	opts := []string{"linux", "windows"}
	c.errorf("os", "os", "Unknown operating system",
		"The operating system %q is not one of %s.%s It decides the system disk size and the password rules.",
		os, ruleQuotedList(opts), ruleDidYouMean(os, opts))
}

// checkNetwork checks bandwidth, public IP, VPC, gateway and private IP rules.
func (c *ruleChecker) checkNetwork() {
	cfg := &c.g.Config
	bwTypes := []string{"PayByBandwidth", "PayByTraffic"}
	if (c.set("bandwidth_type") || cfg.BandwidthType != "") && !slices.Contains(bwTypes, cfg.BandwidthType) {
		c.errorf("bandwidth-type", "bandwidth_type", "Invalid bandwidth type",
			"The bandwidth type %q is not one of %s (paid by fixed bandwidth or by traffic).%s",
			cfg.BandwidthType, ruleQuotedList(bwTypes), ruleDidYouMean(cfg.BandwidthType, bwTypes))
	}
	if c.set("bandwidth") && cfg.Bandwidth < 0 {
		c.errorf("bandwidth-range", "bandwidth", "Invalid bandwidth",
			"The public bandwidth is %d Mbps. Set bandwidth to a whole number of Mbps, 0 or more (0: no public IP).",
			cfg.Bandwidth)
	}
	if c.set("wan_ip") && cfg.WanIP && cfg.Bandwidth <= 0 {
		c.errorf("wan-ip-bandwidth", "wan_ip", "Public IP without bandwidth",
			"wan_ip is true but the public bandwidth is %d Mbps, and the API gives no public IP without bandwidth. "+
				"Set bandwidth to 1 Mbps or more, or remove wan_ip.", cfg.Bandwidth)
	}
	hasVPC, hasSubnet := c.set("vpc_id"), c.set("subnet_id")
	switch {
	case hasVPC && !hasSubnet:
		c.errorf("vpc-subnet-pair", "vpc_id", "VPC without subnet",
			"vpc_id is set but subnet_id is not; an instance in a VPC needs both. Set subnet_id to a subnet of the "+
				"VPC in the group's zone, or remove vpc_id to use the classic network.")
	case hasSubnet && !hasVPC:
		c.errorf("vpc-subnet-pair", "subnet_id", "Subnet without VPC",
			"subnet_id is set but vpc_id is not; an instance in a VPC needs both. Set vpc_id to the subnet's VPC, "+
				"or remove subnet_id to use the classic network.")
	}
	if hasVPC && !ruleHasIDPrefix(cfg.VpcID, "vpc-") {
		c.errorf("vpc-id-format", "vpc_id", "Invalid VPC ID",
			"The VPC ID %q does not start with \"vpc-\". Use the VPC's ID as the VPC console shows it, such as \"vpc-2l3eh7xo\".",
			cfg.VpcID)
	}
	if hasSubnet && !ruleHasIDPrefix(cfg.SubnetID, "subnet-") {
		c.errorf("subnet-id-format", "subnet_id", "Invalid subnet ID",
			"The subnet ID %q does not start with \"subnet-\". Use the subnet's ID as the VPC console shows it, such as \"subnet-8qu5wlnh\".",
			cfg.SubnetID)
	}
	if c.set("vpc_gateway") && cfg.VpcGateway && (cfg.VpcID == "" || !cfg.WanIP) {
		var missing []string
		if cfg.VpcID == "" {
			missing = append(missing, "a VPC (vpc_id and subnet_id)")
		}
		if !cfg.WanIP {
			missing = append(missing, "a public IP (bandwidth above 0 and wan_ip not false)")
		}
		c.errorf("vpc-gateway", "vpc_gateway", "Public gateway without VPC or public IP",
			"A public gateway works only on an instance in a VPC with a public IP; this group lacks %s. "+
				"Add what is missing or remove vpc_gateway.", strings.Join(missing, " and "))
	}
	if !c.set("private_ips") {
		return
	}
	if cfg.VpcID == "" {
		c.errorf("private-ip-vpc", "private_ips", "Private IPs without VPC",
			"Private IP addresses can only be chosen in a VPC subnet. Set vpc_id and subnet_id, or remove private_ips.")
	}
	for i, ip := range cfg.PrivateIPs {
		if !ruleIsIPv4(ip) {
			c.errorf("private-ip-format", "private_ips", "Invalid private IP address",
				"private_ips[%d], %q, is not an IPv4 address such as \"10.0.1.5\". Give each address in dotted "+
					"decimal form, with no leading zeros, mask or port.", i, ip)
		}
	}
	if c.set("count") && c.g.Count >= 0 && len(cfg.PrivateIPs) != c.g.Count {
		c.errorf("private-ip-count", "private_ips", "Private IP count differs from count",
			"The group has count = %d but %d private IP addresses. Give exactly one address per instance (each "+
				"instance is bought in its own call), or remove private_ips.", c.g.Count, len(cfg.PrivateIPs))
	}
}

// checkLogin checks the password and key rules. No detail names the password's value, its
// length or its characters.
func (c *ruleChecker) checkLogin() {
	cfg := &c.g.Config
	if c.set("password") {
		if c.g.Literals["password"] {
			c.report(hcl.DiagWarning, "password-literal", "password", "Password written in a spec file",
				"The password is written as a literal in the spec, so anyone who can read the repository can read it. "+
					"Declare a variable with sensitive = true, use it here, and give its value with FLEET_VAR_<name>, "+
					"--var or --var-file kept out of the repository.")
		}
		c.checkPassword(cfg.Password, cfg.OS)
	}
	if !c.set("key_id") {
		return
	}
	if !ruleHasIDPrefix(cfg.KeyID, "skey-") {
		c.errorf("key-id-format", "key_id", "Invalid key ID",
			"The key ID %q does not start with \"skey-\". Use the key pair's ID as DescribeKeyPairs or the console "+
				"shows it, such as \"skey-3glfot13\".", cfg.KeyID)
	}
	if c.set("password") {
		c.errorf("password-key-exclusive", "key_id", "Both password and key",
			"The group sets both password and key_id, and the API accepts only one login method. Remove one of them.")
	}
	if cfg.OS == "windows" {
		c.errorf("key-windows", "key_id", "Key pair on Windows",
			"Windows instances cannot log in with a key pair. Remove key_id and set a password, or use a Linux image "+
				"with os = \"linux\".")
	}
}

// checkPassword applies the document's length, class and character rules for os.
func (c *ruleChecker) checkPassword(pw, os string) {
	var minLen, maxLen, minClasses int
	var specials, classes string
	switch os {
	case "linux":
		minLen, maxLen, minClasses, specials = 8, 16, 2, ruleLinuxSpecials
		classes = "letters (a-z, A-Z), digits (0-9) and special characters"
	case "windows":
		minLen, maxLen, minClasses, specials = 12, 16, 3, ruleWindowsSpecials
		classes = "lowercase letters (a-z), uppercase letters (A-Z), digits (0-9) and special characters"
	default:
		return
	}
	osName := map[string]string{"linux": "Linux", "windows": "Windows"}[os]
	allowed := ruleSpaced(specials)
	if n := utf8.RuneCountInString(pw); n < minLen || n > maxLen {
		summary, what := "Password too short", "fewer"
		if n > maxLen {
			summary, what = "Password too long", "more"
		}
		c.errorf("password-length", "password", summary,
			"A %s password has %d to %d characters; this one has %s. Choose a password of that length.",
			osName, minLen, maxLen, what)
	}
	var lower, upper, digit, special, other bool
	for _, r := range pw {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case r < utf8.RuneSelf && strings.ContainsRune(specials, r):
			special = true
		default:
			other = true
		}
	}
	var have int
	if os == "linux" {
		have = ruleCount(lower || upper, digit, special)
	} else {
		have = ruleCount(lower, upper, digit, special)
	}
	if have < minClasses {
		total := 3
		if os == "windows" {
			total = 4
		}
		c.errorf("password-classes", "password", "Password too simple",
			"A %s password uses characters of at least %d of these %d classes: %s (%s); this one uses fewer. "+
				"Add characters of the missing classes.", osName, minClasses, total, classes, allowed)
	}
	if other {
		extra := ""
		if os == "windows" {
			extra = " Windows does not accept |."
		}
		c.errorf("password-charset", "password", "Invalid character in password",
			"The password has a character the API does not accept. A %s password may use only letters a-z and A-Z, "+
				"digits 0-9 and the special characters %s; no spaces and no other symbols.%s",
			osName, allowed, extra)
	}
}

// checkFleet returns the diagnostics of the rules that span groups: a private IP address used
// twice, in one group or in two. Each diagnostic points at the private_ips of the group that
// uses the address after another; the caller adds it to that group's Diags.
func checkFleet(f *Fleet) hcl.Diagnostics {
	type use struct {
		group string
		index int
	}
	var diags hcl.Diagnostics
	first := map[string]use{}
	for _, g := range f.Groups {
		if _, ok := g.Ranges["private_ips"]; !ok {
			continue
		}
		for i, ip := range g.Config.PrivateIPs {
			key := ip
			if a, err := netip.ParseAddr(ip); err == nil {
				key = a.String()
			}
			prev, seen := first[key]
			if !seen {
				first[key] = use{g.Name, i}
				continue
			}
			where := fmt.Sprintf("group %q (private_ips[%d])", prev.group, prev.index)
			if prev.group == g.Name {
				where = fmt.Sprintf("private_ips[%d] of the same group", prev.index)
			}
			r := g.Ranges["private_ips"]
			diags = append(diags, WithCode("private-ip-duplicate", &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate private IP address",
				Detail: fmt.Sprintf("private_ips[%d], %q, is already given to %s. An address belongs to one "+
					"instance only; give every instance of the fleet its own address.", i, ip, where),
				Subject: &r,
			}))
		}
	}
	return diags
}

// storageTypeList names the storage types with what they are, for a detail.
func (c *ruleChecker) storageTypeList() string {
	var out []string
	for _, t := range c.cat.StorageTypes() {
		out = append(out, fmt.Sprintf("%q (%s)", t.Name, t.Description))
	}
	return ruleOrList(out)
}

func (c *ruleChecker) storageTypeDescription(id int) string {
	if t, ok := c.cat.StorageType(id); ok {
		return t.Description
	}
	return "storage type " + strconv.Itoa(id)
}

// ruleDidYouMean returns ` Did you mean "X"?` for the option closest to value, or "" when no
// option is close. Case is ignored, and an option that ends with the value ("S2" for
// "CVM.S2") counts as close.
func ruleDidYouMean(value string, options []string) string {
	if value == "" {
		return ""
	}
	low := strings.ToLower(value)
	best, bestDist := "", 3
	for _, o := range options {
		lo := strings.ToLower(o)
		d := levenshtein.Distance(low, lo, nil)
		if lo == low || strings.HasSuffix(lo, "."+low) {
			d = 0
		}
		if d < bestDist {
			best, bestDist = o, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// ruleHasIDPrefix reports whether id is prefix followed by at least one character.
func ruleHasIDPrefix(id, prefix string) bool {
	return strings.HasPrefix(id, prefix) && len(id) > len(prefix)
}

// ruleIsIPv4 reports whether s is an IPv4 address in dotted decimal form.
func ruleIsIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

func ruleKnown(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// ruleKeys returns the keys of an enumeration ordered by their API value.
func ruleKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return m[a] - m[b] })
	return keys
}

func ruleQuotedList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return ruleOrList(q)
}

// ruleOrList joins items as "a, b or c".
func ruleOrList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// ruleSpaced returns the characters of s separated by spaces.
func ruleSpaced(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}

func ruleSteps(r catalog.DiskRule) []string {
	var out []string
	for n := r.Min; n <= r.Max; n += r.Step {
		out = append(out, strconv.Itoa(n))
	}
	return out
}

func ruleCount(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// ruleZoneName matches a zone written by name, as the newer APIs and the console spell it:
// the region's long code and the zone's number, "ap-guangzhou-3".
var ruleZoneName = regexp.MustCompile(`^([a-z]+(?:-[a-z]+)+)-([0-9]+)$`)

// zoneNameHint returns a sentence that gives the numeric id of the zone a zone_id string
// names ("ap-guangzhou-3" is 100003), or "" when v names no zone of the catalog.
func (l *loader) zoneNameHint(v cty.Value) string {
	if v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return ""
	}
	s := strings.ToLower(strings.TrimSpace(v.AsString()))
	m := ruleZoneName.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	cat := catalog.Default()
	r, ok := cat.Region(m[1])
	if !ok {
		return ""
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return ""
	}
	for _, z := range r.Zones {
		if !strings.HasSuffix(z.Name, " Zone "+strconv.Itoa(n)) {
			continue
		}
		hint := fmt.Sprintf(" %q is %s; this API takes its numeric id: did you mean zone_id = %d?", v.AsString(), z.Name, z.ID)
		if fr, ok := cat.Region(l.fleet.Region); ok && fr != r {
			hint += fmt.Sprintf(" That zone is in %s, not in this fleet's region %s.", r.Code, fr.Code)
		}
		return hint
	}
	return ""
}
