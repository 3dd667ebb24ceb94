package cvmsim

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDescribePagination(t *testing.T) {
	e := newEnv(t, Config{})
	for _, n := range []string{"100", "100", "50"} {
		wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", n)))
	}
	all := e.sim.Instances()
	var got []string
	for offset := 0; ; offset += 100 {
		a := e.call("DescribeInstances", map[string]string{"offset": strconv.Itoa(offset), "limit": "100"})
		wantOK(t, a)
		if a.TotalCount != 250 {
			t.Fatalf("totalCount: got %d, want 250", a.TotalCount)
		}
		for _, in := range a.InstanceSet {
			got = append(got, in.UnInstanceID)
		}
		if len(a.InstanceSet) < 100 {
			if want := 250 - offset; len(a.InstanceSet) != want {
				t.Fatalf("last page at %d: got %d, want %d", offset, len(a.InstanceSet), want)
			}
			break
		}
	}
	if len(got) != len(all) {
		t.Fatalf("paged ids: got %d, want %d", len(got), len(all))
	}
	for i := range all {
		if got[i] != all[i].ID {
			t.Fatalf("page order at %d: got %s, want %s", i, got[i], all[i].ID)
		}
	}
	a := e.call("DescribeInstances", nil)
	if len(a.InstanceSet) != 20 || a.TotalCount != 250 {
		t.Errorf("default limit: got %d of %d, want 20 of 250", len(a.InstanceSet), a.TotalCount)
	}
	a = e.call("DescribeInstances", map[string]string{"offset": "300"})
	wantOK(t, a)
	if len(a.InstanceSet) != 0 || !strings.Contains(a.raw, `"instanceSet":[]`) {
		t.Errorf("offset past the end: %s", a.raw)
	}
	many := map[string]string{}
	for i := range 101 {
		many["instanceIds."+strconv.Itoa(i)] = all[i].ID
	}
	wantErr(t, e.call("DescribeInstances", many), CodeParameter, NameInvalidParameter)
	delete(many, "instanceIds.100")
	if a := e.call("DescribeInstances", with(many, "limit", "100")); a.TotalCount != 100 || len(a.InstanceSet) != 100 {
		t.Errorf("100 ids: got %d of %d", len(a.InstanceSet), a.TotalCount)
	}
	for _, bad := range []map[string]string{{"limit": "101"}, {"limit": "0"}, {"offset": "-1"}, {"limit": "x"}, {"instanceIds.x": "ins-1"}} {
		wantErr(t, e.call("DescribeInstances", bad), CodeParameter, NameInvalidParameter)
	}
}

func TestDescribeFilters(t *testing.T) {
	e := newEnv(t, Config{CreateDelay: time.Minute})
	wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", "3", "instanceName", "web-fleet-a1b2", "projectId", "4")))
	wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", "2", "instanceName", "db", "zoneId", "100004")))
	e.clock.Add(time.Minute)
	wantOK(t, e.call("RunInstances", with(runParams(), "instanceName", "db-new", "zoneId", "100004")))
	wantOK(t, e.call("RunInstances", with(runParams(), "instanceName", "sh", "zoneId", "200001", "Region", "ap-shanghai")))
	all := e.sim.Instances()
	if err := e.sim.SetStatus(all[1].ID, StatusReturned); err != nil {
		t.Fatal(err)
	}
	ids := func(a answer) string {
		var out []string
		for _, in := range a.InstanceSet {
			out = append(out, in.UnInstanceID)
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		name   string
		params map[string]string
		want   []int // indexes into all
	}{
		{"region", nil, []int{0, 1, 2, 3, 4, 5}},
		{"other region", map[string]string{"Region": "sh"}, []int{6}},
		{"ids", map[string]string{"instanceIds.0": all[4].ID, "instanceIds.1": all[0].ID, "instanceIds.2": "ins-unknown1"}, []int{0, 4}},
		{"search word", map[string]string{"searchWord": "A1B2"}, []int{0, 1, 2}},
		{"search word db", map[string]string{"searchWord": "db"}, []int{3, 4, 5}},
		{"status running", map[string]string{"status": "2"}, []int{0, 2, 3, 4}},
		{"status creating", map[string]string{"status": "3"}, []int{5}},
		{"status returned", map[string]string{"status": "5"}, []int{1}},
		{"project", map[string]string{"projectId": "4"}, []int{0, 1, 2}},
		{"zone", map[string]string{"zoneId": "100004"}, []int{3, 4, 5}},
		{"lan ip", map[string]string{"lanIps.0": all[2].LanIP}, []int{2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := e.call("DescribeInstances", with(c.params, "limit", "100"))
			wantOK(t, a)
			var want []string
			for _, i := range c.want {
				want = append(want, all[i].ID)
			}
			if got := ids(a); got != strings.Join(want, ",") || a.TotalCount != len(want) {
				t.Errorf("got %s (total %d), want %s", got, a.TotalCount, strings.Join(want, ","))
			}
		})
	}
	a := e.call("DescribeInstances", map[string]string{"instanceIds.0": all[0].ID})
	in := a.InstanceSet[0]
	if in.InstanceName != "web-fleet-a1b2" || in.CPU != 2 || in.Mem != 4 || in.ZoneID != 100003 || in.ZoneName != "Guangzhou Zone 3" ||
		in.Region != "gz" || in.UnImgID != "img-lkxqa4kj" || in.CvmPayMode != "1" || in.CreateTime != "2026-03-01 18:00:00" ||
		in.DeadlineTime != "2026-04-01 18:00:00" || in.Status != 2 || in.LanIP == "" || in.UUID == "" {
		t.Errorf("instance fields: %+v", in)
	}
}

func TestInquiryInstancePrice(t *testing.T) {
	e := newEnv(t, Config{WindowsImages: []string{"img-win00001"}, BalanceFen: 10000000})
	inquiry := map[string]string{
		"instanceType": "1", "instanceModel": "CVM.S2", "cpu": "2", "mem": "4", "period": "12",
		"storageSize": "50", "storageType": "1", "goodsNum": "1", "bandwidth": "1", "imageId": "img-lkxqa4kj",
		"imageType": "2", "rootSize": "20",
	}
	a := e.call("InquiryInstancePrice", inquiry)
	wantOK(t, a)
	if a.Price != 195600 {
		t.Errorf("price: got %d fen, want 195600 (the example of the package documentation)", a.Price)
	}
	run := with(runParams(), "period", "12", "storageSize", "50", "bandwidth", "1", "goodsNum", "3", "rootSize", "40", "storageType", "2")
	want, err := e.sim.Price("gz", run)
	if err != nil {
		t.Fatal(err)
	}
	a = e.call("InquiryInstancePrice", with(inquiry, "goodsNum", "3", "rootSize", "40", "storageType", "2"))
	if a.Price != want {
		t.Errorf("inquiry %d fen, Price %d fen: want equal", a.Price, want)
	}
	before := e.sim.Balance()
	wantOK(t, e.call("RunInstances", run))
	if charged := before - e.sim.Balance(); charged != want {
		t.Errorf("charged %d fen, quoted %d fen", charged, want)
	}
	cases := []struct {
		name   string
		params map[string]string
		desc   string
	}{
		{"traffic bandwidth is free", with(inquiry, "bandwidthType", "PayByTraffic"), ""},
		{"windows", with(inquiry, "imageId", "img-win00001", "rootSize", "50"), ""},
		{"windows root 40", with(inquiry, "imageId", "img-win00001", "rootSize", "40"), NameRootSize},
		{"root step 1", with(inquiry, "rootSize", "23"), ""},
		{"upgrade", with(inquiry, "instanceType", "4"), NameInquiryNotSupport},
		{"no imageId", with(inquiry, "imageId", ""), NameMissImageID},
		{"no cpu", with(inquiry, "cpu", ""), NameMissingParameter},
		{"bad pair", with(inquiry, "mem", "5"), NameInquiryNotSupport},
		{"period", with(inquiry, "period", "37"), NamePeriod},
		{"storage step", with(inquiry, "storageSize", "15"), NameStorageSize},
		{"ssd cloud", with(inquiry, "storageType", "4"), ""},
		{"model", with(inquiry, "instanceModel", "CVM.Z1"), NameInstanceType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := e.call("InquiryInstancePrice", c.params)
			if c.desc == "" {
				wantOK(t, a)
				if a.Price <= 0 {
					t.Errorf("price %d", a.Price)
				}
				return
			}
			wantErr(t, a, CodeParameter, c.desc)
		})
	}
	if p1, p2 := e.call("InquiryInstancePrice", with(inquiry, "bandwidthType", "PayByTraffic")).Price, int64(195600-2000*12); p1 != p2 {
		t.Errorf("traffic price: got %d, want %d", p1, p2)
	}
}

func TestEveryFamilyHasAPrice(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.cat.Families() {
		if _, ok := familyPrices[f.Name]; !ok {
			t.Errorf("family %s has no price", f.Name)
		}
	}
	for _, st := range s.cat.StorageTypes() {
		if _, ok := diskPrices[st.ID]; !ok {
			t.Errorf("storage type %d has no price", st.ID)
		}
	}
}

func TestDataFile(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "sim.json")
	s, err := New(Config{DataPath: data, VPCs: []VPC{testVPC}, WindowsImages: []string{"img-win00001"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(data); err != nil {
		t.Fatalf("New did not write the data file: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// VPCs and Windows images come back from the file alone.
	e := newEnv(t, Config{DataPath: data})
	wantOK(t, e.call("RunInstances", with(runParams(), "vpcId", testVPC.ID, "subnetId", "subnet-bbbb2222", "privateIpAddresses.0", "10.0.1.20")))
	wantErr(t, e.call("RunInstances", with(runParams(), "imageId", "img-win00001", "rootSize", "20")), CodeParameter, NameRootSize)
	id := e.sim.Instances()[0].ID
	if err := e.sim.SetStatus(id, StatusReturned); err != nil {
		t.Fatal(err)
	}
	s2, err := New(Config{DataPath: data})
	if err != nil {
		t.Fatal(err)
	}
	if in, ok := s2.Instance(id); !ok || in.Status != StatusReturned || in.LanIP != "10.0.1.20" {
		t.Errorf("instance after reload: %+v, %v", in, ok)
	}

	for name, content := range map[string]string{
		"not json":         "{",
		"unknown field":    `{"format_version":"1","surprise":1}`,
		"other version":    `{"format_version":"9"}`,
		"repeated id":      `{"format_version":"1","instances":[{"id":"ins-aaaaaaaa"},{"id":"ins-aaaaaaaa"}]}`,
		"short id":         `{"format_version":"1","instances":[{"id":"ab"}]}`,
		"other id form":    `{"format_version":"1","instances":[{"id":"qcvm12345"}]}`,
		"bad balance":      `{"format_version":"1","balance_fen":-7}`,
		"bad vpc":          `{"format_version":"1","vpcs":[{"id":"x","subnets":[]}]}`,
		"null token":       `{"format_version":"1","tokens":{"t":null}}`,
		"trailing object":  `{"format_version":"1"}{}`,
		"trailing brace":   `{"format_version":"1"}}`,
		"trailing garbage": `{"format_version":"1"} x`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := New(Config{DataPath: path})
			if err == nil {
				t.Fatal("New: got nil error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Errorf("the unreadable file was changed to %q", b)
			}
		})
	}
}

func TestParseVPC(t *testing.T) {
	v, err := ParseVPC("vpc-aaaa1111:subnet-bbbb2222@100003=10.0.1.0/24,subnet-cccc3333@100004=10.0.2.0/28")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(v); got != "{vpc-aaaa1111 [{subnet-bbbb2222 100003 10.0.1.0/24} {subnet-cccc3333 100004 10.0.2.0/28}]}" {
		t.Errorf("got %s", got)
	}
	for _, bad := range []string{
		"", "vpc-a", "vpc-a:", "x:subnet-b@1=10.0.0.0/24", "vpc-a:subnet-b", "vpc-a:subnet-b@zone=10.0.0.0/24",
		"vpc-a:subnet-b@1=10.0.0.1/24", "vpc-a:subnet-b@1=10.0.0.0/30", "vpc-a:subnet-b@1=fe80::/64", "vpc-a:net-b@1=10.0.0.0/24",
	} {
		if _, err := ParseVPC(bad); err == nil {
			t.Errorf("ParseVPC(%q): got nil error", bad)
		}
	}
}

// TestDataFileOddInstance describes an instance whose data-file record was edited by hand
// (no UUID, no times): the answer is made without a panic.
func TestDataFileOddInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	content := `{"format_version":"1","instances":[{"id":"ins-abcd1234","uuid":"12-34","region":"ap-guangzhou","zone_id":100003,"storage_size":10,"status":2}]}`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{DataPath: path})
	a := e.call("DescribeInstances", nil)
	wantOK(t, a)
	if len(a.InstanceSet) != 1 {
		t.Fatalf("described %d instances, want 1: %s", len(a.InstanceSet), a.raw)
	}
	in := a.InstanceSet[0]
	if in.UnInstanceID != "ins-abcd1234" || in.InstanceID != "qcvm1234" || in.DiskInfo.StorageID != "disk-abcd1234" {
		t.Errorf("described %+v", in)
	}
}
