package cvmsim

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"fleet/internal/catalog"
)

// order is a RunInstances request with every default applied and every rule that needs no
// state of the simulator checked.
type order struct {
	region        *catalog.Region
	family        *catalog.Family
	cpu, mem      int
	imageID       string
	imageType     int
	windows       bool
	period        int
	goodsNum      int
	zoneID        int
	storageType   int
	storageSize   int
	rootSize      int
	bandwidthType string
	bandwidth     int
	wanIP         bool
	vpcGateway    bool
	vpcID         string
	subnetID      string
	privateIP     string // "" when not given
	keyID         string
	projectID     int
	name          string
	token         string
}

var (
	imageIDPattern = regexp.MustCompile(`^img-[a-z0-9]{8}$`)
	indexedName    = regexp.MustCompile(`^[0-9]+$`)
)

// Password character classes of the document. Windows passwords may not use "|".
const (
	linuxSpecials   = "()`~!@#$%^&*-+=|{}[]:;',.?/"
	windowsSpecials = "()`~!@#$%^&*-+={}[]:;',.?/"
)

// maxBandwidth is the most Mbps a purchase may ask for. The document sets no limit; this one
// is far above any real offer and keeps every price within int64.
const maxBandwidth = 1 << 20

// commonParams are the parameters that are not part of a call's identity: a replay of a
// clientToken may differ in them.
var commonParams = map[string]bool{
	"Nonce": true, "Timestamp": true, "Signature": true, "SignatureMethod": true,
	"SecretId": true, "Token": true, "RequestClient": true,
}

// intParam reads an integer parameter; def is used when it is absent, and required makes its
// absence an error.
func intParam(p map[string]string, name string, def int, required bool) (int, *apiError) {
	v, ok := p[name]
	if !ok || v == "" {
		if required {
			return 0, paramErr(NameMissingParameter, "missing parameter %s", name)
		}
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, paramErr(NameInvalidParameter, "%s %q is not an integer", name, v)
	}
	return n, nil
}

// bitParam reads a 0/1 parameter.
func bitParam(p map[string]string, name string, def bool) (bool, *apiError) {
	d := 0
	if def {
		d = 1
	}
	n, err := intParam(p, name, d, false)
	if err != nil {
		return false, err
	}
	if n != 0 && n != 1 {
		return false, paramErr(NameInvalidParameter, "%s %d: want 0 or 1", name, n)
	}
	return n == 1, nil
}

// indexed returns the values of the array parameter prefix.N, by index.
func indexed(p map[string]string, prefix string) ([]string, *apiError) {
	type kv struct {
		i int
		v string
	}
	var items []kv
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		if !indexedName.MatchString(rest) {
			return nil, paramErr(NameInvalidParameter, "parameter %s: want %s.N with a number N", k, prefix)
		}
		i, err := strconv.Atoi(rest)
		if err != nil {
			return nil, paramErr(NameInvalidParameter, "parameter %s: index out of range", k)
		}
		items = append(items, kv{i, v})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out, nil
}

// family returns the instance family named by the parameter param (instanceType of
// RunInstances, instanceModel of InquiryInstancePrice), CVM.S1 when absent as the documents say.
func (s *Server) family(p map[string]string, param string) (*catalog.Family, *apiError) {
	name := p[param]
	if name == "" {
		name = "CVM.S1"
	}
	fam, ok := s.cat.Family(name)
	if !ok {
		return nil, paramErr(NameInstanceType, "%s %q: want one of %s", param, name, strings.Join(s.cat.FamilyNames(), ", "))
	}
	return fam, nil
}

// parseOrder applies every RunInstances rule that depends on the request alone.
func (s *Server) parseOrder(region *catalog.Region, p map[string]string) (*order, *apiError) {
	o := &order{region: region}
	var err *apiError
	// Required parameters first, so that a request missing several names the first of them.
	for _, name := range []string{"cpu", "mem", "imageId", "period", "storageSize"} {
		if p[name] == "" {
			return nil, paramErr(NameMissingParameter, "missing parameter %s", name)
		}
	}
	o.token = p["clientToken"]
	if n := utf8.RuneCountInString(o.token); n > 64 {
		return nil, paramErr(NameClientToken, "clientToken has %d characters: at most 64", n)
	}
	if o.period, err = intParam(p, "period", 0, true); err != nil {
		return nil, err
	}
	if o.period < 1 || o.period > 36 {
		return nil, paramErr(NamePeriod, "period %d: want 1 to 36 months", o.period)
	}
	if o.goodsNum, err = intParam(p, "goodsNum", 1, false); err != nil {
		return nil, err
	}
	if o.goodsNum < 1 || o.goodsNum > 100 {
		return nil, paramErr(NameGoodsNum, "goodsNum %d: want 1 to 100", o.goodsNum)
	}
	fam, err := s.family(p, "instanceType")
	if err != nil {
		return nil, err
	}
	o.family = fam
	if o.cpu, err = intParam(p, "cpu", 0, true); err != nil {
		return nil, err
	}
	if o.mem, err = intParam(p, "mem", 0, true); err != nil {
		return nil, err
	}
	if !fam.HasPair(o.cpu, o.mem) {
		return nil, paramErr(NameInstanceConfig, "%s has no configuration with %d cores and %d GB", fam.Name, o.cpu, o.mem)
	}
	o.imageID = p["imageId"]
	if err := s.imageProblem(o.imageID); err != nil {
		return nil, err
	}
	o.windows = s.windowsImage(o.imageID)
	if o.imageType, err = intParam(p, "imageType", 2, false); err != nil {
		return nil, err
	}
	if o.imageType < 1 || o.imageType > 4 {
		return nil, paramErr(NameImageType, "imageType %d: want 1 (private), 2 (public), 3 (marketplace) or 4 (shared)", o.imageType)
	}
	if o.zoneID, err = intParam(p, "zoneId", region.DefaultZone().ID, false); err != nil {
		return nil, err
	}
	if !region.HasZone(o.zoneID) {
		return nil, paramErr(NameInvalidZone, "zoneId %d is not a zone of %s", o.zoneID, region.Code)
	}
	if o.storageType, err = intParam(p, "storageType", catalog.LocalHDD, false); err != nil {
		return nil, err
	}
	if o.storageType < 1 || o.storageType > 3 {
		return nil, paramErr(NameStorageType, "storageType %d: want 1 (local disk), 2 (cloud disk) or 3 (local SSD)", o.storageType)
	}
	rng, offered := fam.Storage(o.storageType)
	if !offered {
		return nil, paramErr(NameStorageType, "%s does not offer storageType %d", fam.Name, o.storageType)
	}
	if o.storageSize, err = intParam(p, "storageSize", 0, true); err != nil {
		return nil, err
	}
	step := s.cat.DataDiskStep()
	if o.storageSize < 0 || o.storageSize%step != 0 {
		return nil, paramErr(NameStorageSize, "storageSize %d: want 0 or a multiple of %d GB", o.storageSize, step)
	}
	if o.storageSize > 0 && !rng.Contains(o.storageSize) {
		return nil, paramErr(NameStorageSize, "storageSize %d: %s offers %d to %d GB of storageType %d",
			o.storageSize, fam.Name, rng.Min, rng.Max, o.storageType)
	}
	osName := "linux"
	if o.windows {
		osName = "windows"
	}
	rule, _ := s.cat.SystemDisk(osName)
	if o.rootSize, err = intParam(p, "rootSize", rule.Default, false); err != nil {
		return nil, err
	}
	if o.rootSize < rule.Min || o.rootSize > rule.Max || (o.rootSize-rule.Min)%rule.Step != 0 {
		return nil, paramErr(NameRootSize, "rootSize %d: a %s system disk is %d to %d GB in steps of %d",
			o.rootSize, osName, rule.Min, rule.Max, rule.Step)
	}
	o.bandwidthType = p["bandwidthType"]
	if o.bandwidthType == "" {
		o.bandwidthType = "PayByBandwidth"
	}
	if o.bandwidthType != "PayByBandwidth" && o.bandwidthType != "PayByTraffic" {
		return nil, paramErr(NameBandwidthType, "bandwidthType %q: want PayByTraffic or PayByBandwidth", o.bandwidthType)
	}
	if o.bandwidth, err = intParam(p, "bandwidth", 0, false); err != nil {
		return nil, err
	}
	if o.bandwidth < 0 || o.bandwidth > maxBandwidth {
		return nil, paramErr(NameBandwidth, "bandwidth %d: want 0 to %d Mbps", o.bandwidth, maxBandwidth)
	}
	if o.wanIP, err = bitParam(p, "wanIp", o.bandwidth > 0); err != nil {
		return nil, err
	}
	if o.bandwidth == 0 {
		o.wanIP = false // the document: with no bandwidth, no public IP is assigned
	}
	if o.vpcGateway, err = bitParam(p, "isVpcGateway", false); err != nil {
		return nil, err
	}
	for _, name := range []string{"needSecurityAgent", "needMonitorAgent"} {
		if _, err = bitParam(p, name, true); err != nil {
			return nil, err
		}
	}
	if o.projectID, err = intParam(p, "projectId", 0, false); err != nil {
		return nil, err
	}
	if o.projectID < 0 {
		return nil, paramErr(NameInvalidParameter, "projectId %d: want a project id >= 0", o.projectID)
	}
	o.vpcID, o.subnetID = p["vpcId"], p["subnetId"]
	if (o.vpcID == "") != (o.subnetID == "") {
		return nil, paramErr(NameVpcSubnet, "vpcId and subnetId: give both (a VPC) or neither (the classic network)")
	}
	if o.vpcGateway && (o.vpcID == "" || !o.wanIP) {
		var missing []string
		if o.vpcID == "" {
			missing = append(missing, "a VPC (vpcId and subnetId)")
		}
		if !o.wanIP {
			missing = append(missing, "a public IP (bandwidth above 0, wanIp not 0)")
		}
		return nil, paramErr(NameVpcGateway, "isVpcGateway 1: a public gateway needs an instance in a VPC with a public IP; this one lacks %s",
			strings.Join(missing, " and "))
	}
	if pw, ok := p["password"]; ok {
		if msg := passwordProblem(pw, o.windows); msg != "" {
			return nil, &apiError{Code: CodeParameter, Name: NamePassword, Message: msg}
		}
	}
	o.keyID = p["keyId"]
	if o.keyID != "" {
		switch {
		case p["password"] != "":
			return nil, paramErr(NameKeyID, "keyId and password cannot both be given")
		case o.windows:
			return nil, paramErr(NameKeyID, "keyId cannot be used with a Windows image")
		case !strings.HasPrefix(o.keyID, "skey-"):
			return nil, paramErr(NameKeyID, "keyId %q: want skey-...", o.keyID)
		}
	}
	o.name = p["instanceName"]
	if n := utf8.RuneCountInString(o.name); n > 60 {
		return nil, paramErr(NameInstanceName, "instanceName has %d characters: at most 60", n)
	}
	if o.name == "" {
		o.name = "未命名"
	}
	ips, err := indexed(p, "privateIpAddresses")
	if err != nil {
		return nil, err
	}
	switch {
	case len(ips) > 1:
		return nil, paramErr(NamePrivateIPCount, "privateIpAddresses: only one address is supported, got %d", len(ips))
	case len(ips) == 1 && o.vpcID == "":
		return nil, paramErr(NamePrivateIPCount, "privateIpAddresses needs vpcId and subnetId")
	case len(ips) == 1 && o.goodsNum != 1:
		return nil, paramErr(NamePrivateIPCount, "privateIpAddresses needs goodsNum 1, got %d", o.goodsNum)
	case len(ips) == 1:
		a, perr := netip.ParseAddr(ips[0])
		if perr != nil || !a.Is4() {
			return nil, paramErr(NameInvalidIPFormat, "privateIpAddresses %q is not an IPv4 address", ips[0])
		}
		o.privateIP = a.String()
	}
	return o, nil
}

// passwordProblem returns what is wrong with a password under the document's rules, or "".
// The text never contains the password.
func passwordProblem(pw string, windows bool) string {
	n := utf8.RuneCountInString(pw)
	specials, lo, hi, need := linuxSpecials, 8, 16, 2
	if windows {
		specials, lo, hi, need = windowsSpecials, 12, 16, 3
	}
	if n < lo || n > hi {
		return "password length " + strconv.Itoa(n) + ": want " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi) + " characters"
	}
	var lower, upper, digit, special bool
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
			return "password contains a character outside letters, digits and " + specials
		}
	}
	count := func(bs ...bool) int {
		c := 0
		for _, b := range bs {
			if b {
				c++
			}
		}
		return c
	}
	if windows {
		if count(lower, upper, digit, special) < need {
			return "a Windows password needs at least 3 of: lower-case letters, upper-case letters, digits, special characters"
		}
		return ""
	}
	if count(lower || upper, digit, special) < need {
		return "a Linux password needs at least 2 of: letters, digits, special characters"
	}
	return ""
}

// paramsDigest returns the digest of a call's identity: its parameters except the common ones,
// so that a replay with a fresh Nonce and Timestamp has the same digest.
func paramsDigest(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if !commonParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(p[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
