package cvmsim

import (
	"encoding/json"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testVPC = VPC{ID: "vpc-aaaa1111", Subnets: []Subnet{
	{ID: "subnet-bbbb2222", ZoneID: 100003, CIDR: "10.0.1.0/24"},
	{ID: "subnet-cccc3333", ZoneID: 100004, CIDR: "10.0.2.0/28"},
}}

func TestRunInstancesGood(t *testing.T) {
	e := newEnv(t, Config{CreateDelay: time.Minute})
	a := e.call("RunInstances", with(runParams(), "goodsNum", "3", "instanceName", "web", "projectId", "7"))
	wantOK(t, a)
	if len(a.DealIDs) != 1 {
		t.Fatalf("dealIds: got %v, want one deal", a.DealIDs)
	}
	ids := a.UnInstanceIDs[strconv.FormatInt(a.DealIDs[0], 10)]
	if len(ids) != 3 {
		t.Fatalf("unInstanceIds: got %v, want 3 ids under deal %d", a.UnInstanceIDs, a.DealIDs[0])
	}
	idPattern := regexp.MustCompile(`^ins-[a-z0-9]{8}$`)
	for _, id := range ids {
		if !idPattern.MatchString(id) {
			t.Errorf("instance id %q: want ins- and 8 lowercase letters or digits", id)
		}
		in, ok := e.sim.Instance(id)
		if !ok {
			t.Fatalf("instance %s not kept", id)
		}
		if in.Status != StatusCreating || in.Name != "web" || in.ProjectID != 7 || in.ZoneID != 100003 || in.CPU != 2 || in.Mem != 4 {
			t.Errorf("instance %s: got %+v", id, in)
		}
	}
	// The raw answer has the document's shape: a map from deal id to ids.
	if !strings.Contains(a.raw, `"unInstanceIds":{"`) || !strings.Contains(a.raw, `"codeDesc":"Success"`) {
		t.Errorf("answer shape: %s", a.raw)
	}
	e.clock.Add(59 * time.Second)
	if in, _ := e.sim.Instance(ids[0]); in.Status != StatusCreating {
		t.Errorf("before the create delay: status %d, want 3", in.Status)
	}
	e.clock.Add(time.Second)
	for _, id := range ids {
		if in, _ := e.sim.Instance(id); in.Status != StatusRunning {
			t.Errorf("after the create delay: %s status %d, want 2", id, in.Status)
		}
	}
	if got := e.sim.Purchases(); got != 1 {
		t.Errorf("Purchases: got %d, want 1", got)
	}
}

func TestRunInstancesDefaults(t *testing.T) {
	e := newEnv(t, Config{})
	a := e.call("RunInstances", map[string]string{
		"cpu": "1", "mem": "1", "imageId": "img-abcdefgh", "period": "1", "storageSize": "0",
	})
	wantOK(t, a)
	in := e.sim.Instances()[0]
	if in.InstanceType != "CVM.S1" || in.ZoneID != 100001 || in.RootSize != 20 || in.StorageType != 1 ||
		in.BandwidthType != "PayByBandwidth" || in.Name != "未命名" || in.WanIP != "" {
		t.Errorf("defaults: got %+v", in)
	}
}

func TestRunInstancesRules(t *testing.T) {
	e := newEnv(t, Config{WindowsImages: []string{"img-win00001"}, VPCs: []VPC{testVPC}})
	base := runParams()
	win := with(base, "imageId", "img-win00001", "rootSize", "50")
	vpc := with(base, "vpcId", testVPC.ID, "subnetId", "subnet-bbbb2222")
	long := strings.Repeat("x", 65)
	cases := []struct {
		name   string
		params map[string]string
		desc   string // "" means success
	}{
		{"valid", base, ""},
		{"missing cpu", with(base, "cpu", ""), NameMissingParameter},
		{"missing mem", with(base, "mem", ""), NameMissingParameter},
		{"missing imageId", with(base, "imageId", ""), NameMissingParameter},
		{"missing period", with(base, "period", ""), NameMissingParameter},
		{"missing storageSize", with(base, "storageSize", ""), NameMissingParameter},
		{"cpu not a number", with(base, "cpu", "two"), NameInvalidParameter},
		{"period 0", with(base, "period", "0"), NamePeriod},
		{"period 37", with(base, "period", "37"), NamePeriod},
		{"period 36", with(base, "period", "36"), ""},
		{"goodsNum 0", with(base, "goodsNum", "0"), NameGoodsNum},
		{"goodsNum 101", with(base, "goodsNum", "101"), NameGoodsNum},
		{"goodsNum 100", with(base, "goodsNum", "100"), ""},
		{"instanceType unknown", with(base, "instanceType", "CVM.X9"), NameInstanceType},
		{"pair not offered", with(base, "cpu", "3"), NameInstanceConfig},
		{"pair of another family", with(base, "mem", "12"), NameInstanceConfig},
		{"imageId malformed", with(base, "imageId", "img-ABCDEFGH"), NameImageID},
		{"imageType 0", with(base, "imageType", "0"), NameImageType},
		{"imageType 5", with(base, "imageType", "5"), NameImageType},
		{"imageType 4", with(base, "imageType", "4"), ""},
		{"zone of another region", with(base, "zoneId", "200001"), NameInvalidZone},
		{"zone unknown", with(base, "zoneId", "100005"), NameInvalidZone},
		{"storageType 4", with(base, "storageType", "4"), NameStorageType},
		{"storageType not offered", with(base, "storageType", "3"), NameStorageType},
		{"local SSD on I2", with(base, "instanceType", "CVM.I2", "storageType", "3", "storageSize", "100"), ""},
		{"local HDD on I2", with(base, "instanceType", "CVM.I2"), NameStorageType},
		{"storageSize step", with(base, "storageSize", "55"), NameStorageSize},
		{"storageSize negative", with(base, "storageSize", "-10"), NameStorageSize},
		{"storageSize above range", with(base, "storageSize", "1610"), NameStorageSize},
		{"storageSize below range", with(base, "instanceType", "CVM.I2", "storageType", "3", "storageSize", "40"), NameStorageSize},
		{"storageSize cloud", with(base, "storageType", "2", "storageSize", "16000"), ""},
		{"rootSize 10", with(base, "rootSize", "10"), NameRootSize},
		{"rootSize 60", with(base, "rootSize", "60"), NameRootSize},
		{"rootSize 25", with(base, "rootSize", "25"), NameRootSize},
		{"rootSize 40", with(base, "rootSize", "40"), ""},
		{"windows rootSize 40", with(win, "rootSize", "40"), NameRootSize},
		{"windows rootSize default", with(win, "rootSize", ""), ""},
		{"bandwidthType unknown", with(base, "bandwidthType", "PayByHour"), NameBandwidthType},
		{"bandwidthType traffic", with(base, "bandwidthType", "PayByTraffic", "bandwidth", "10"), ""},
		{"bandwidth negative", with(base, "bandwidth", "-1"), NameBandwidth},
		{"bandwidth huge", with(base, "bandwidth", "4611686018427387904"), NameBandwidth},
		{"bandwidth largest", with(base, "bandwidth", strconv.Itoa(maxBandwidth)), ""},
		{"wanIp 2", with(base, "wanIp", "2"), NameInvalidParameter},
		{"wanIp 1", with(base, "wanIp", "1", "bandwidth", "1"), ""},
		{"isVpcGateway 3", with(base, "isVpcGateway", "3"), NameInvalidParameter},
		{"needSecurityAgent 2", with(base, "needSecurityAgent", "2"), NameInvalidParameter},
		{"projectId negative", with(base, "projectId", "-1"), NameInvalidParameter},
		{"vpcId alone", with(base, "vpcId", testVPC.ID), NameVpcSubnet},
		{"subnetId alone", with(base, "subnetId", "subnet-bbbb2222"), NameVpcSubnet},
		{"vpc unknown", with(vpc, "vpcId", "vpc-zzzz9999"), NameVpcNotFound},
		{"subnet unknown", with(vpc, "subnetId", "subnet-zzzz9999"), NameSubnetNotFound},
		{"subnet in another zone", with(vpc, "subnetId", "subnet-cccc3333"), NameSubnetZone},
		{"vpc", vpc, ""},
		{"linux password short", with(base, "password", "Ab1!xyz"), NamePassword},
		{"linux password long", with(base, "password", "Abcdefgh12345678x"), NamePassword},
		{"linux password one class", with(base, "password", "abcdefghij"), NamePassword},
		{"linux password bad char", with(base, "password", "abcd1234 xyz"), NamePassword},
		{"linux password letters digits", with(base, "password", "abcd1234"), ""},
		{"linux password pipe", with(base, "password", "abcd|efgh"), ""},
		{"windows password 11", with(win, "password", "Abcdef1234!"), NamePassword},
		{"windows password two classes", with(win, "password", "abcdefgh1234"), NamePassword},
		{"windows password pipe", with(win, "password", "Abcdefgh123|"), NamePassword},
		{"windows password", with(win, "password", "Abcdefgh1234"), ""},
		{"key with password", with(base, "keyId", "skey-abcdefgh", "password", "abcd1234"), NameKeyID},
		{"key on windows", with(win, "keyId", "skey-abcdefgh"), NameKeyID},
		{"key malformed", with(base, "keyId", "key-abcdefgh"), NameKeyID},
		{"key", with(base, "keyId", "skey-abcdefgh"), ""},
		{"clientToken 65", with(base, "clientToken", long), NameClientToken},
		{"clientToken 64", with(base, "clientToken", long[:64]), ""},
		{"instanceName 61", with(base, "instanceName", strings.Repeat("名", 61)), NameInstanceName},
		{"instanceName 60", with(base, "instanceName", strings.Repeat("名", 60)), ""},
		{"ip without vpc", with(base, "privateIpAddresses.0", "10.0.1.10"), NamePrivateIPCount},
		{"ip with goodsNum 2", with(vpc, "privateIpAddresses.0", "10.0.1.10", "goodsNum", "2"), NamePrivateIPCount},
		{"two ips", with(vpc, "privateIpAddresses.0", "10.0.1.10", "privateIpAddresses.1", "10.0.1.11"), NamePrivateIPCount},
		{"ip format", with(vpc, "privateIpAddresses.0", "10.0.1.300"), NameInvalidIPFormat},
		{"ip v6", with(vpc, "privateIpAddresses.0", "fe80::1"), NameInvalidIPFormat},
		{"ip leading zero", with(vpc, "privateIpAddresses.0", "10.0.1.010"), NameInvalidIPFormat},
		{"ip network", with(vpc, "privateIpAddresses.0", "10.0.1.0"), NameReservedIP},
		{"ip gateway", with(vpc, "privateIpAddresses.0", "10.0.1.1"), NameReservedIP},
		{"ip broadcast", with(vpc, "privateIpAddresses.0", "10.0.1.255"), NameReservedIP},
		{"ip not in cidr", with(vpc, "privateIpAddresses.0", "10.0.2.10"), NameIPNotInCIDR},
		{"ip", with(vpc, "privateIpAddresses.0", "10.0.1.10"), ""},
		{"ip in use", with(vpc, "privateIpAddresses.0", "10.0.1.10"), NameIPInUse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.sim.Purchases()
			a := e.call("RunInstances", c.params)
			if c.desc == "" {
				wantOK(t, a)
				return
			}
			wantErr(t, a, CodeParameter, c.desc)
			if a.Message == "" {
				t.Error("error answer without a message")
			}
			if after := e.sim.Purchases(); after != before {
				t.Errorf("a refused call bought: purchases %d -> %d", before, after)
			}
		})
	}
}

func TestPasswordNeverInAnswer(t *testing.T) {
	e := newEnv(t, Config{})
	const pw = "Secret#Zz9"
	a := e.call("RunInstances", with(runParams(), "password", pw+"     "))
	wantErr(t, a, CodeParameter, NamePassword)
	if strings.Contains(a.raw, "Secret") {
		t.Errorf("answer shows the password: %s", a.raw)
	}
}

func TestPrivateIPAllocation(t *testing.T) {
	e := newEnv(t, Config{VPCs: []VPC{testVPC}})
	small := with(runParams(), "vpcId", testVPC.ID, "subnetId", "subnet-cccc3333", "zoneId", "100004")
	// 10.0.2.0/28 has 13 usable addresses: .2 to .14.
	a := e.call("RunInstances", with(small, "goodsNum", "13"))
	wantOK(t, a)
	seen := map[string]bool{}
	for _, in := range e.sim.Instances() {
		if seen[in.LanIP] || !strings.HasPrefix(in.LanIP, "10.0.2.") || in.LanIP == "10.0.2.1" || in.LanIP == "10.0.2.15" {
			t.Errorf("address %q repeated or outside the usable range", in.LanIP)
		}
		seen[in.LanIP] = true
	}
	wantErr(t, e.call("RunInstances", small), CodeParameter, NameSubnetFull)
	// A returned instance frees its address.
	id := e.sim.Instances()[4].ID
	ip := e.sim.Instances()[4].LanIP
	if err := e.sim.SetStatus(id, StatusReturned); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.call("RunInstances", with(small, "privateIpAddresses.0", ip)))
}

func TestBalance(t *testing.T) {
	e := newEnv(t, Config{BalanceFen: 100000})
	p := with(runParams(), "goodsNum", "2") // 2 × (2×3800 + 4×1300) = 25600 fen
	wantOK(t, e.call("RunInstances", p))
	if got := e.sim.Balance(); got != 100000-25600 {
		t.Errorf("balance after a purchase: got %d, want %d", got, 100000-25600)
	}
	a := e.call("RunInstances", with(p, "period", "3"))
	wantErr(t, a, CodeBalance, NameBalanceNotEnough)
	if got := e.sim.Purchases(); got != 1 {
		t.Errorf("purchases: got %d, want 1", got)
	}
	if err := e.sim.SetBalance(Unlimited); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.call("RunInstances", with(p, "period", "3")))
	if err := e.sim.SetBalance(0); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.call("RunInstances", p), CodeBalance, NameBalanceNotEnough)
}

// TestHugeBandwidthIsRefused: a bandwidth so large that its price would overflow must be
// refused, not sold at a wrapped-around (negative) price that credits the balance.
func TestHugeBandwidthIsRefused(t *testing.T) {
	e := newEnv(t, Config{BalanceFen: 100000})
	for _, bw := range []string{"4611686018427387904", "9223372036854775807", strconv.Itoa(maxBandwidth + 1)} {
		a := e.call("RunInstances", with(runParams(), "bandwidth", bw, "wanIp", "1", "period", "36", "goodsNum", "100"))
		wantErr(t, a, CodeParameter, NameBandwidth)
	}
	if got := e.sim.Balance(); got != 100000 {
		t.Errorf("balance %d after refused purchases, want 100000", got)
	}
	if got := e.sim.Purchases(); got != 0 {
		t.Errorf("%d purchases, want none", got)
	}
	// The largest bandwidth allowed is priced without overflow.
	p, err := e.sim.Price("gz", with(runParams(), "bandwidth", strconv.Itoa(maxBandwidth), "period", "36", "goodsNum", "100"))
	if want := int64(2*3800+4*1300+maxBandwidth*bandwidthPrice) * 36 * 100; err != nil || p != want {
		t.Errorf("price of the largest bandwidth: %d, %v; want %d", p, err, want)
	}
}

func TestQuota(t *testing.T) {
	e := newEnv(t, Config{Quota: 5})
	wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", "4")))
	wantErr(t, e.call("RunInstances", with(runParams(), "goodsNum", "2")), CodeQuota, NameQuotaExceeded)
	wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", "1")))
	if err := e.sim.SetStatus(e.sim.Instances()[0].ID, StatusReturned); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", "1")))
	e.sim.SetQuota(0)
	wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", "50")))
}

func TestFailRate(t *testing.T) {
	e := newEnv(t, Config{FailRate: 1, CreateDelay: time.Second})
	wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", "2")))
	e.clock.Add(time.Second)
	for _, in := range e.sim.Instances() {
		if in.Status != StatusFailed {
			t.Errorf("%s: status %d, want -1", in.ID, in.Status)
		}
	}
}

func TestSeedReproducible(t *testing.T) {
	ids := func() []string {
		e := newEnv(t, Config{Seed: 7})
		a := e.call("RunInstances", with(runParams(), "goodsNum", "5"))
		wantOK(t, a)
		return a.UnInstanceIDs[strconv.FormatInt(a.DealIDs[0], 10)]
	}
	a, b := ids(), ids()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("same seed, different ids: %v and %v", a, b)
	}
}

func TestReserved(t *testing.T) {
	p := netip.MustParsePrefix("10.0.2.8/29")
	for a, want := range map[string]bool{"10.0.2.8": true, "10.0.2.9": true, "10.0.2.15": true, "10.0.2.10": false, "10.0.2.14": false} {
		if got := reserved(p, netip.MustParseAddr(a)); got != want {
			t.Errorf("reserved(%s, %s): got %v, want %v", p, a, got, want)
		}
	}
}

func TestAddVPC(t *testing.T) {
	e := newEnv(t, Config{})
	p := with(runParams(), "vpcId", testVPC.ID, "subnetId", "subnet-bbbb2222")
	wantErr(t, e.call("RunInstances", p), CodeParameter, NameVpcNotFound)
	if err := e.sim.AddVPC(testVPC); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.call("RunInstances", p))
	other := VPC{ID: "vpc-other001", Subnets: []Subnet{{ID: "subnet-bbbb2222", ZoneID: 100003, CIDR: "10.9.0.0/24"}}}
	if err := e.sim.AddVPC(other); err == nil || !strings.Contains(err.Error(), "already in vpc-aaaa1111") {
		t.Errorf("a subnet of two VPCs: got %v", err)
	}
	if err := e.sim.AddVPC(VPC{ID: "vpc-x"}); err == nil {
		t.Error("a VPC without subnets: got nil error")
	}
}

func TestConfigChecks(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{SecretKey: "k"}, "give both or neither"},
		{Config{BusyRate: -0.1}, "busy rate"},
		{Config{DropRate: 1.1}, "drop rate"},
		{Config{FailRate: 2}, "fail rate"},
		{Config{Latency: -time.Second}, "latency"},
		{Config{Jitter: -time.Second}, "jitter"},
		{Config{CreateDelay: -time.Second}, "create delay"},
		{Config{TokenTTL: -time.Second}, "token ttl"},
		{Config{Quota: -1}, "quota"},
		{Config{BalanceFen: -1}, "balance"},
		{Config{VPCs: []VPC{{ID: "vpc-a", Subnets: []Subnet{{ID: "subnet-a", ZoneID: 1, CIDR: "300.0.0.0/8"}}}}}, "not an IPv4 CIDR"},
		{Config{VPCs: []VPC{{ID: "vpc-a", Subnets: []Subnet{{ID: "subnet-a", ZoneID: 0, CIDR: "10.0.0.0/8"}}}}}, "not a zone id"},
	} {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v): got %v, want an error about %q", c.cfg, err, c.want)
		}
	}
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t, Config{})
	for name, c := range map[string]struct {
		contentType, body string
	}{
		"json body":   {"application/json", `{"Action":"DescribeInstances"}`},
		"bad escape":  {"application/x-www-form-urlencoded", "Action=%zz"},
		"too large":   {"application/x-www-form-urlencoded", "a=" + strings.Repeat("x", maxBody)},
		"empty":       {"application/x-www-form-urlencoded", ""},
		"binary junk": {"application/x-www-form-urlencoded", "\x00\xff&&=&=="},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := e.srv.Client().Post(e.srv.URL+Path, c.contentType, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var a answer
			if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 {
				t.Fatalf("HTTP %d, %v", resp.StatusCode, err)
			}
			if a.Code != CodeParameter || a.Message == "" {
				t.Errorf("got %d %s %q, want a 4000 answer with a message", a.Code, a.CodeDesc, a.Message)
			}
		})
	}
}

func TestVPCsMerge(t *testing.T) {
	a := VPC{ID: "vpc-m0000001", Subnets: []Subnet{{ID: "subnet-m0000001", ZoneID: 100003, CIDR: "10.1.1.0/24"}}}
	b := VPC{ID: "vpc-m0000001", Subnets: []Subnet{{ID: "subnet-m0000002", ZoneID: 100004, CIDR: "10.1.2.0/24"}}}
	e := newEnv(t, Config{VPCs: []VPC{a, b}})
	for _, zs := range [][2]string{{"100003", "subnet-m0000001"}, {"100004", "subnet-m0000002"}} {
		wantOK(t, e.call("RunInstances", with(runParams(), "zoneId", zs[0], "vpcId", a.ID, "subnetId", zs[1])))
	}
	overlap := VPC{ID: "vpc-m0000001", Subnets: []Subnet{{ID: "subnet-m0000003", ZoneID: 100004, CIDR: "10.1.0.0/16"}}}
	if err := e.sim.AddVPC(overlap); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("overlapping subnets: got %v", err)
	}
}

// TestQuotaIsNotTheRateLimitCode: 4400 is the API's "requests over the quota", a rate limit
// that a client may retry; an instance quota refusal is a refused purchase (5200).
func TestQuotaIsNotTheRateLimitCode(t *testing.T) {
	e := newEnv(t, Config{Quota: 1})
	wantOK(t, e.call("RunInstances", runParams()))
	a := e.call("RunInstances", runParams())
	wantErr(t, a, 5200, "OperationConstraints.InstanceQuotaExceeded")
	if e.sim.Purchases() != 1 {
		t.Errorf("%d purchases, want 1", e.sim.Purchases())
	}
}
