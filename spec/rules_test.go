package spec

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/txtar"

	"fleet/internal/catalog"
)

// ruleSpec returns a spec file whose group "web" sets the given attribute lines first, from
// line 5 on, followed by whichever required attributes (count, cpu, mem, image_id, period) the
// lines do not set. extra is appended after the group, from the line after its closing brace.
func ruleSpec(region string, lines []string, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleet \"t\" {\n  region = %q\n}\n", region)
	b.WriteString("group \"web\" {\n")
	set := map[string]bool{}
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
		set[strings.TrimSpace(strings.SplitN(l, "=", 2)[0])] = true
	}
	for _, req := range []string{"count = 2", "cpu = 2", "mem = 4", `image_id = "img-lkxqa4kj"`, "period = 12"} {
		if name := strings.TrimSpace(strings.SplitN(req, "=", 2)[0]); !set[name] {
			b.WriteString("  " + req + "\n")
		}
	}
	b.WriteString("}\n")
	b.WriteString(extra)
	return b.String()
}

// ruleCase is one rule's valid and invalid spec. The invalid one must give a diagnostic with
// code at line (and col when not 0) with the severity; the valid one must give none at all.
type ruleCase struct {
	region  string // default ap-guangzhou
	valid   []string
	invalid []string
	extra   string // more groups, for the fleet-wide rules
	code    string
	line    int
	col     int
	warning bool
	secret  string // text no diagnostic may contain
}

func (rc ruleCase) run(t *testing.T) {
	t.Helper()
	region := rc.region
	if region == "" {
		region = "ap-guangzhou"
	}
	valid := ruleLoad(t, ruleSpec(region, rc.valid, ""))
	for _, d := range valid {
		if Code(d) == "password-literal" && rc.code != "password-literal" {
			continue // the cases write passwords out; TestRulePasswordLiteral covers the warning
		}
		t.Errorf("valid spec: unexpected diagnostic %s at %v: %s: %s", Code(d), d.Subject, d.Summary, d.Detail)
	}
	diags := ruleLoad(t, ruleSpec(region, rc.invalid, rc.extra))
	var found *hcl.Diagnostic
	for _, d := range diags {
		if rc.secret != "" && (strings.Contains(d.Detail, rc.secret) || strings.Contains(d.Summary, rc.secret)) {
			t.Errorf("diagnostic %s reveals the password: %s", Code(d), d.Detail)
		}
		if Code(d) == rc.code && found == nil {
			found = d
		}
	}
	if found == nil {
		t.Fatalf("invalid spec: no %s diagnostic; got %s", rc.code, ruleDescribe(diags))
	}
	if found.Subject == nil {
		t.Fatalf("%s diagnostic has no subject", rc.code)
	}
	if found.Subject.Start.Line != rc.line {
		t.Errorf("%s at line %d; want line %d", rc.code, found.Subject.Start.Line, rc.line)
	}
	if rc.col != 0 && found.Subject.Start.Column != rc.col {
		t.Errorf("%s at column %d; want column %d", rc.code, found.Subject.Start.Column, rc.col)
	}
	wantSev := hcl.DiagError
	if rc.warning {
		wantSev = hcl.DiagWarning
	}
	if found.Severity != wantSev {
		t.Errorf("%s severity %v; want %v", rc.code, found.Severity, wantSev)
	}
	if found.Summary == "" || found.Detail == "" || strings.HasSuffix(found.Summary, ".") {
		t.Errorf("%s: want a short summary without a full stop and a detail; got %q, %q", rc.code, found.Summary, found.Detail)
	}
	if found.Subject.Filename != "main.fleet.hcl" {
		t.Errorf("%s subject in file %q; want main.fleet.hcl", rc.code, found.Subject.Filename)
	}
}

func ruleDescribe(diags hcl.Diagnostics) string {
	if len(diags) == 0 {
		return "none"
	}
	var parts []string
	for _, d := range diags {
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		parts = append(parts, fmt.Sprintf("%s@%d (%s)", Code(d), line, d.Summary))
	}
	return strings.Join(parts, ", ")
}

func ruleDetail(t *testing.T, src, code string) string {
	t.Helper()
	for _, d := range ruleLoad(t, src) {
		if Code(d) == code {
			return d.Detail
		}
	}
	t.Fatalf("no %s diagnostic", code)
	return ""
}

func TestRuleCountRange(t *testing.T) {
	ruleCase{valid: []string{"count = 0"}, invalid: []string{"count = -1"},
		code: "count-range", line: 5, col: 11}.run(t)
}

func TestRuleCPUMemCombination(t *testing.T) {
	ruleCase{valid: []string{`instance_type = "CVM.S2"`, "cpu = 2", "mem = 8"},
		invalid: []string{`instance_type = "CVM.S2"`, "cpu = 2", "mem = 6"},
		code:    "cpu-mem-combination", line: 7, col: 9}.run(t)
	// A core count the family never offers is blamed on cpu.
	ruleCase{valid: []string{"cpu = 1", "mem = 1"}, invalid: []string{"cpu = 3", "mem = 6"},
		code: "cpu-mem-combination", line: 5, col: 9}.run(t)
	// The default family, CVM.S1, decides when instance_type is not set.
	ruleCase{valid: []string{"cpu = 2", "mem = 12"}, invalid: []string{`instance_type = "CVM.M1"`, "cpu = 2", "mem = 12"},
		code: "cpu-mem-combination", line: 7}.run(t)
	d := ruleDetail(t, ruleSpec("gz", []string{`instance_type = "CVM.S2"`, "cpu = 2", "mem = 6"}, ""), "cpu-mem-combination")
	for _, want := range []string{"CVM.S2", "4 or 8 GB", "Did you mean (cpu = 2, mem = 8)"} {
		if !strings.Contains(d, want) {
			t.Errorf("detail %q lacks %q", d, want)
		}
	}
}

func TestRuleImageIDFormat(t *testing.T) {
	for _, bad := range []string{`"img-LKXQA4KJ"`, `"img-lkxqa4k"`, `"lkxqa4kj"`, `"img-lkxqa4kj1"`, `"img_lkxqa4kj"`} {
		ruleCase{valid: []string{`image_id = "img-0a1b2c3d"`}, invalid: []string{"image_id = " + bad},
			code: "image-id-format", line: 5, col: 14}.run(t)
	}
}

func TestRuleImageType(t *testing.T) {
	ruleCase{valid: []string{`image_type = "marketplace"`}, invalid: []string{`image_type = "market"`},
		code: "image-type", line: 5, col: 16}.run(t)
	d := ruleDetail(t, ruleSpec("gz", []string{`image_type = "Private"`}, ""), "image-type")
	if !strings.Contains(d, `Did you mean "private"?`) {
		t.Errorf("detail %q lacks a suggestion", d)
	}
}

func TestRulePeriodRange(t *testing.T) {
	for _, p := range []string{"0", "37", "-3"} {
		ruleCase{valid: []string{"period = 36"}, invalid: []string{"period = " + p},
			code: "period-range", line: 5, col: 12}.run(t)
	}
	ruleCase{valid: []string{"period = 1"}, invalid: []string{"count = 1", "period = 48"},
		code: "period-range", line: 6}.run(t)
}

func TestRuleInstanceType(t *testing.T) {
	ruleCase{valid: []string{`instance_type = "CVM.C2"`, "cpu = 4", "mem = 8", `storage_type = "local_ssd"`},
		invalid: []string{`instance_type = "CVM.S3"`},
		code:    "instance-type", line: 5, col: 19}.run(t)
	for in, want := range map[string]string{"S2": "CVM.S2", "cvm.i1": "CVM.I1", "CVM-M2": "CVM.M2", "S2.MEDIUM4": "CVM.S2", "i2.large8": "CVM.I2"} {
		d := ruleDetail(t, ruleSpec("gz", []string{fmt.Sprintf("instance_type = %q", in)}, ""), "instance-type")
		if !strings.Contains(d, fmt.Sprintf("Did you mean %q?", want)) {
			t.Errorf("instance_type %q: detail %q does not suggest %q", in, d, want)
		}
	}
}

func TestRuleZoneID(t *testing.T) {
	ruleCase{valid: []string{"zone_id = 100003"}, invalid: []string{"zone_id = 100005"},
		code: "zone-id", line: 5, col: 13}.run(t)
	// Short region codes name the same region.
	ruleCase{region: "bj", valid: []string{"zone_id = 800007"}, invalid: []string{"zone_id = 100003"},
		code: "zone-id", line: 5}.run(t)
	d := ruleDetail(t, ruleSpec("ap-guangzhou", []string{"zone_id = 800001"}, ""), "zone-id")
	for _, want := range []string{"100001 (Guangzhou Zone 1)", "100007", "belongs to ap-beijing"} {
		if !strings.Contains(d, want) {
			t.Errorf("detail %q lacks %q", d, want)
		}
	}
}

func TestRuleStorageType(t *testing.T) {
	ruleCase{valid: []string{`storage_type = "cloud"`}, invalid: []string{`storage_type = "ssd"`},
		code: "storage-type", line: 5, col: 18}.run(t)
}

func TestRuleStorageTypeFamily(t *testing.T) {
	ruleCase{valid: []string{`instance_type = "CVM.I2"`, `storage_type = "local_ssd"`},
		invalid: []string{`instance_type = "CVM.S2"`, `storage_type = "local_ssd"`},
		code:    "storage-type-family", line: 6, col: 18}.run(t)
	// The default storage type, local, is not offered by the high-IO families: the diagnostic
	// points at the group's header.
	ruleCase{valid: []string{`instance_type = "CVM.I1"`, `storage_type = "local_ssd"`},
		invalid: []string{`instance_type = "CVM.I1"`},
		code:    "storage-type-family", line: 4, col: 1}.run(t)
	d := ruleDetail(t, ruleSpec("gz", []string{`instance_type = "CVM.S2"`, `storage_type = "local_ssd"`}, ""), "storage-type-family")
	for _, want := range []string{`no "local_ssd" (local SSD) disks`, `to "local" or "cloud".`} {
		if !strings.Contains(d, want) {
			t.Errorf("detail %q lacks %q", d, want)
		}
	}
}

func TestRuleStorageSizeStep(t *testing.T) {
	ruleCase{valid: []string{"storage_size = 50"}, invalid: []string{"storage_size = 55"},
		code: "storage-size-step", line: 5, col: 18}.run(t)
}

func TestRuleStorageSizeRange(t *testing.T) {
	ruleCase{valid: []string{"storage_size = 1600"}, invalid: []string{"storage_size = 2000"},
		code: "storage-size-range", line: 5, col: 18}.run(t)
	ruleCase{valid: []string{"storage_size = 0"}, invalid: []string{"storage_size = -10"},
		code: "storage-size-range", line: 5}.run(t)
	ruleCase{valid: []string{`instance_type = "CVM.I1"`, `storage_type = "local_ssd"`, "storage_size = 50"},
		invalid: []string{`instance_type = "CVM.I1"`, `storage_type = "local_ssd"`, "storage_size = 40"},
		code:    "storage-size-range", line: 7}.run(t)
}

func TestRuleRootSizeRange(t *testing.T) {
	ruleCase{valid: []string{"root_size = 50"}, invalid: []string{"root_size = 60"},
		code: "root-size-range", line: 5, col: 15}.run(t)
	ruleCase{valid: []string{"root_size = 20"}, invalid: []string{"root_size = 10"},
		code: "root-size-range", line: 5}.run(t)
}

func TestRuleRootSizeStep(t *testing.T) {
	ruleCase{valid: []string{"root_size = 30"}, invalid: []string{"root_size = 25"},
		code: "root-size-step", line: 5, col: 15}.run(t)
}

func TestRuleRootSizeWindows(t *testing.T) {
	ruleCase{valid: []string{`os = "windows"`, "root_size = 50"}, invalid: []string{`os = "windows"`, "root_size = 40"},
		code: "root-size-windows", line: 6, col: 15}.run(t)
}

func TestRuleOS(t *testing.T) {
	ruleCase{valid: []string{`os = "windows"`}, invalid: []string{`os = "Windows 2019"`},
		code: "os", line: 5, col: 8}.run(t)
}

func TestRuleBandwidthType(t *testing.T) {
	ruleCase{valid: []string{`bandwidth_type = "PayByTraffic"`}, invalid: []string{`bandwidth_type = "paybytraffic"`},
		code: "bandwidth-type", line: 5, col: 20}.run(t)
	d := ruleDetail(t, ruleSpec("gz", []string{`bandwidth_type = "paybytraffic"`}, ""), "bandwidth-type")
	if !strings.Contains(d, `Did you mean "PayByTraffic"?`) {
		t.Errorf("detail %q lacks a suggestion", d)
	}
}

func TestRuleBandwidthRange(t *testing.T) {
	ruleCase{valid: []string{"bandwidth = 10"}, invalid: []string{"bandwidth = -1"},
		code: "bandwidth-range", line: 5, col: 15}.run(t)
}

func TestRuleWanIPBandwidth(t *testing.T) {
	ruleCase{valid: []string{"wan_ip = true", "bandwidth = 1"}, invalid: []string{"wan_ip = true"},
		code: "wan-ip-bandwidth", line: 5, col: 12}.run(t)
	ruleCase{valid: []string{"wan_ip = false"}, invalid: []string{"bandwidth = 0", "wan_ip = true"},
		code: "wan-ip-bandwidth", line: 6}.run(t)
}

func TestRuleVpcSubnetPair(t *testing.T) {
	ruleCase{valid: []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`},
		invalid: []string{`vpc_id = "vpc-2l3eh7xo"`},
		code:    "vpc-subnet-pair", line: 5, col: 12}.run(t)
	ruleCase{valid: []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`},
		invalid: []string{`subnet_id = "subnet-8qu5wlnh"`},
		code:    "vpc-subnet-pair", line: 5, col: 15}.run(t)
}

func TestRuleVpcIDFormat(t *testing.T) {
	ruleCase{valid: []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`},
		invalid: []string{`vpc_id = "2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`},
		code:    "vpc-id-format", line: 5, col: 12}.run(t)
}

func TestRuleSubnetIDFormat(t *testing.T) {
	ruleCase{valid: []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`},
		invalid: []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-"`},
		code:    "subnet-id-format", line: 6, col: 15}.run(t)
}

func TestRuleVpcGateway(t *testing.T) {
	vpc := []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`}
	ruleCase{valid: append([]string{"vpc_gateway = true", "bandwidth = 5"}, vpc...),
		invalid: append([]string{"vpc_gateway = true"}, vpc...),
		code:    "vpc-gateway", line: 5, col: 17}.run(t)
	ruleCase{valid: []string{"vpc_gateway = false"}, invalid: []string{"bandwidth = 5", "vpc_gateway = true"},
		code: "vpc-gateway", line: 6}.run(t)
}

func TestRulePrivateIPVpc(t *testing.T) {
	ruleCase{valid: []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`, `private_ips = ["10.0.0.4", "10.0.0.5"]`},
		invalid: []string{`private_ips = ["10.0.0.4", "10.0.0.5"]`},
		code:    "private-ip-vpc", line: 5, col: 17}.run(t)
}

func TestRulePrivateIPFormat(t *testing.T) {
	vpc := []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`}
	for _, bad := range []string{"10.0.0.256", "fe80::1", "10.0.0.04", "10.0.0.0/24", "host", "::ffff:10.0.0.5"} {
		ruleCase{valid: append(vpc, `private_ips = ["10.0.0.4", "10.0.0.5"]`),
			invalid: append(vpc, fmt.Sprintf(`private_ips = ["10.0.0.4", %q]`, bad)),
			code:    "private-ip-format", line: 7, col: 17}.run(t)
	}
}

func TestRulePrivateIPCount(t *testing.T) {
	vpc := []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`}
	ruleCase{valid: append([]string{"count = 1"}, append(vpc, `private_ips = ["10.0.0.4"]`)...),
		invalid: append([]string{"count = 3"}, append(vpc, `private_ips = ["10.0.0.4"]`)...),
		code:    "private-ip-count", line: 8, col: 17}.run(t)
}

func TestRulePrivateIPDuplicate(t *testing.T) {
	vpc := []string{`vpc_id = "vpc-2l3eh7xo"`, `subnet_id = "subnet-8qu5wlnh"`}
	// Within one group.
	ruleCase{valid: append(vpc, `private_ips = ["10.0.0.4", "10.0.0.5"]`),
		invalid: append(vpc, `private_ips = ["10.0.0.4", "10.0.0.4"]`),
		code:    "private-ip-duplicate", line: 7, col: 17}.run(t)
	// Across groups: the second group in name order is blamed, at its own line.
	other := "group \"zeta\" {\n  count = 1\n  cpu = 2\n  mem = 4\n  image_id = \"img-lkxqa4kj\"\n  period = 12\n" +
		"  vpc_id = \"vpc-2l3eh7xo\"\n  subnet_id = \"subnet-8qu5wlnh\"\n  private_ips = [\"10.0.0.5\"]\n}\n"
	ruleCase{valid: append(vpc, `private_ips = ["10.0.0.4", "10.0.0.6"]`),
		invalid: append(vpc, `private_ips = ["10.0.0.4", "10.0.0.6"]`),
		extra:   strings.Replace(other, "10.0.0.5", "10.0.0.6", 1),
		code:    "private-ip-duplicate", line: 22, col: 17}.run(t)
}

const (
	ruleLinuxPass   = "Fleet-test1"
	ruleWindowsPass = "Fleet-test-12"
)

func TestRulePasswordLength(t *testing.T) {
	ruleCase{valid: []string{`password = "` + ruleLinuxPass + `"`}, invalid: []string{`password = "Ab1-x"`},
		code: "password-length", line: 5, col: 14, secret: "Ab1-x"}.run(t)
	ruleCase{valid: []string{`password = "Abcdefgh12345678"`}, invalid: []string{`password = "Abcdefgh123456789"`},
		code: "password-length", line: 5, secret: "Abcdefgh123456789"}.run(t)
	// Windows needs 12 characters.
	ruleCase{valid: []string{`os = "windows"`, `password = "` + ruleWindowsPass + `"`},
		invalid: []string{`os = "windows"`, `password = "Fleet-test1"`},
		code:    "password-length", line: 6, secret: "Fleet-test1"}.run(t)
}

func TestRulePasswordClasses(t *testing.T) {
	ruleCase{valid: []string{`password = "abcdefgh1"`}, invalid: []string{`password = "abcdefghij"`},
		code: "password-classes", line: 5, col: 14, secret: "abcdefghij"}.run(t)
	// Windows counts lower and upper case apart and needs three classes.
	ruleCase{valid: []string{`os = "windows"`, `password = "abcdefGHIJK1"`},
		invalid: []string{`os = "windows"`, `password = "abcdefghijk1"`},
		code:    "password-classes", line: 6, secret: "abcdefghijk1"}.run(t)
}

func TestRulePasswordCharset(t *testing.T) {
	ruleCase{valid: []string{`password = "Fleet|test1"`}, invalid: []string{`password = "Fleet test1"`},
		code: "password-charset", line: 5, col: 14, secret: "Fleet test1"}.run(t)
	ruleCase{valid: []string{`password = "Fleet(test)1"`}, invalid: []string{`password = "Fleet_test1"`},
		code: "password-charset", line: 5, secret: "Fleet_test1"}.run(t)
	// | is a Linux special character but not a Windows one.
	ruleCase{valid: []string{`os = "windows"`, `password = "Fleet-test-12"`},
		invalid: []string{`os = "windows"`, `password = "Fleet|test|12"`},
		code:    "password-charset", line: 6, secret: "Fleet|test|12"}.run(t)
	ruleCase{valid: []string{`password = "Fleet-test1"`}, invalid: []string{`password = "Fleet-tést1"`},
		code: "password-charset", line: 5, secret: "Fleet-tést1"}.run(t)
}

func TestRuleKeyIDFormat(t *testing.T) {
	ruleCase{valid: []string{`key_id = "skey-3glfot13"`}, invalid: []string{`key_id = "key-3glfot13"`},
		code: "key-id-format", line: 5, col: 12}.run(t)
}

func TestRulePasswordKeyExclusive(t *testing.T) {
	ruleCase{valid: []string{`key_id = "skey-3glfot13"`}, invalid: []string{`password = "` + ruleLinuxPass + `"`, `key_id = "skey-3glfot13"`},
		code: "password-key-exclusive", line: 6, col: 12, secret: ruleLinuxPass}.run(t)
}

func TestRuleKeyWindows(t *testing.T) {
	ruleCase{valid: []string{`os = "linux"`, `key_id = "skey-3glfot13"`}, invalid: []string{`os = "windows"`, `key_id = "skey-3glfot13"`},
		code: "key-windows", line: 6, col: 12}.run(t)
}

func TestRuleProjectID(t *testing.T) {
	ruleCase{valid: []string{"project_id = 1002"}, invalid: []string{"project_id = -1"},
		code: "project-id", line: 5, col: 16}.run(t)
}

func TestRuleInstanceNameLength(t *testing.T) {
	sixty := strings.Repeat("名", 60) // 60 characters, 180 bytes
	ruleCase{valid: []string{fmt.Sprintf("instance_name = %q", sixty)}, invalid: []string{fmt.Sprintf("instance_name = %q", sixty+"x")},
		code: "instance-name-length", line: 5, col: 19}.run(t)
}

// TestRuleScenarios loads each testdata/rules/*.txtar archive, whose files other than "want"
// are spec files, and compares every diagnostic, as "severity code file:line:col", with the
// lines of "want".
func TestRuleScenarios(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "rules", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var files []File
			var want []string
			for _, f := range ar.Files {
				if f.Name == "want" {
					for _, l := range strings.Split(string(f.Data), "\n") {
						if l = strings.TrimSpace(l); l != "" {
							want = append(want, l)
						}
					}
					continue
				}
				files = append(files, File{Name: f.Name, Src: f.Data})
			}
			var got []string
			for _, d := range ruleLoadFiles(t, files) {
				sev := "error"
				if d.Severity == hcl.DiagWarning {
					sev = "warning"
				}
				pos := "-"
				if d.Subject != nil {
					pos = fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
				}
				got = append(got, fmt.Sprintf("%s %s %s", sev, Code(d), pos))
			}
			sort.Strings(got)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\ngot:\n%s", diff, strings.Join(got, "\n"))
			}
		})
	}
}

func TestRuleInstanceNameDefault(t *testing.T) {
	long := strings.Repeat("n", 61)
	src := strings.Replace(ruleSpec("gz", nil, ""), `group "web"`, fmt.Sprintf("group %q", long), 1)
	diags := ruleLoad(t, src)
	if len(diags) != 1 || Code(diags[0]) != "instance-name-length" {
		t.Fatalf("got %s; want one instance-name-length", ruleDescribe(diags))
	}
	if s := diags[0].Subject; s.Start.Line != 4 || s.Start.Column != 1 {
		t.Errorf("instance-name-length at %d:%d; want the group header at 4:1", s.Start.Line, s.Start.Column)
	}
	if !strings.Contains(diags[0].Detail, "defaults to the group name") {
		t.Errorf("detail %q does not say the name comes from the group name", diags[0].Detail)
	}
	if diags := ruleLoad(t, strings.Replace(src, long, long[:60], 1)); len(diags) != 0 {
		t.Errorf("60-character group name: got %s; want none", ruleDescribe(diags))
	}
}

// TestRuleDuplicateMarksGroupInvalid checks that a fleet-wide diagnostic makes the group it
// points at invalid, so that group is never purchased, and leaves the other group valid.
func TestRuleDuplicateMarksGroupInvalid(t *testing.T) {
	group := func(name, ip string) string {
		return fmt.Sprintf("group %q {\n  count = 1\n  cpu = 1\n  mem = 1\n  image_id = \"img-lkxqa4kj\"\n  period = 1\n"+
			"  vpc_id = \"vpc-1\"\n  subnet_id = \"subnet-1\"\n  private_ips = [%q]\n}\n", name, ip)
	}
	src := "fleet \"t\" {\n  region = \"gz\"\n}\n" + group("b", "10.0.0.1") + group("a", "10.0.0.1") + group("c", "10.0.0.2")
	f, diags := Load([]File{{Name: "main.fleet.hcl", Src: []byte(src)}}, Inputs{})
	if len(diags) != 1 || Code(diags[0]) != "private-ip-duplicate" || diags[0].Subject.Start.Line != 12 {
		t.Fatalf("got %s; want one private-ip-duplicate at line 12, group b", ruleDescribe(diags))
	}
	valid := map[string]bool{}
	for _, g := range f.Groups {
		valid[g.Name] = g.Valid()
	}
	if diff := cmp.Diff(map[string]bool{"a": true, "b": false, "c": true}, valid); diff != "" {
		t.Errorf("Valid (-want +got):\n%s", diff)
	}
	if !strings.Contains(diags[0].Detail, `group "a"`) {
		t.Errorf("detail %q does not name the group that has the address first", diags[0].Detail)
	}
}

// TestRulePasswordLiteral checks that a password written out in a file is a warning, and one
// that comes from a variable is not.
func TestRulePasswordLiteral(t *testing.T) {
	ruleCase{valid: []string{`key_id = "skey-3glfot13"`}, invalid: []string{`password = "` + ruleLinuxPass + `"`},
		code: "password-literal", line: 5, col: 14, warning: true, secret: ruleLinuxPass}.run(t)
	src := ruleSpec("gz", []string{"password = var.pw"}, "variable \"pw\" {\n  type = string\n  sensitive = true\n}\n")
	f, diags := Load([]File{{Name: "main.fleet.hcl", Src: []byte(src)}}, Inputs{Env: map[string]string{"pw": ruleLinuxPass}})
	if len(diags) != 0 {
		t.Errorf("password from a variable: got %s; want none", ruleDescribe(diags))
	}
	if len(f.Groups) != 1 || f.Groups[0].Config.Password != ruleLinuxPass {
		t.Fatalf("password from a variable not loaded")
	}
	// The rules still apply to a password from a variable, and never show it.
	_, diags = Load([]File{{Name: "main.fleet.hcl", Src: []byte(src)}}, Inputs{Env: map[string]string{"pw": "abcdefghij"}})
	if len(diags) != 1 || Code(diags[0]) != "password-classes" || diags[0].Subject.Start.Line != 5 {
		t.Fatalf("weak password from a variable: got %s; want password-classes at line 5", ruleDescribe(diags))
	}
	if strings.Contains(diags[0].Detail, "abcdefghij") {
		t.Errorf("detail reveals the password: %s", diags[0].Detail)
	}
}

// TestRuleCatalogAgreesWithModel checks that the catalog and the spec model name the same
// storage types and that the catalog holds the families of the RunInstances document.
func TestRuleCatalogAgreesWithModel(t *testing.T) {
	cat := catalog.Default()
	got := map[string]int{}
	for _, st := range cat.StorageTypes() {
		got[st.Name] = st.ID
	}
	if diff := cmp.Diff(StorageTypes, got); diff != "" {
		t.Errorf("catalog storage types differ from StorageTypes (-model +catalog):\n%s", diff)
	}
	want := []string{"CVM.S1", "CVM.S2", "CVM.I1", "CVM.I2", "CVM.M1", "CVM.M2", "CVM.C2"}
	if diff := cmp.Diff(want, cat.FamilyNames()); diff != "" {
		t.Errorf("families (-document +catalog):\n%s", diff)
	}
}

// TestRuleOddGroups checks that groups the loader could only partly build (no ranges, empty
// or extreme values, an unknown region) give no panic and no diagnostic about what is unset.
func TestRuleOddGroups(t *testing.T) {
	big := int(^uint(0) >> 1)
	all := map[string]hcl.Range{}
	for _, a := range []string{"count", "cpu", "mem", "image_id", "image_type", "period", "instance_type", "zone_id",
		"storage_type", "storage_size", "root_size", "os", "bandwidth_type", "bandwidth", "wan_ip", "vpc_id",
		"subnet_id", "vpc_gateway", "private_ips", "password", "key_id", "project_id", "instance_name",
		"renew", "renew_within_days", "renew_period"} {
		all[a] = hcl.Range{Filename: "x.fleet.hcl", Start: hcl.Pos{Line: 1, Column: 1}}
	}
	if diags := checkGroup("", &Group{}, nil); len(diags) != 0 {
		t.Errorf("empty group: got %s; want none", ruleDescribe(diags))
	}
	odd := []*Group{
		{Ranges: all},
		{Ranges: all, Count: -big, Config: Config{CPU: big, Mem: -big, Period: big, ZoneID: -1, StorageSize: big,
			RootSize: -big, Bandwidth: -big, ProjectID: -big, OS: "windows", InstanceType: "CVM.S1", StorageType: "local",
			PrivateIPs: []string{"", "::"}, Password: "\x00\xff", KeyID: "skey-", InstanceName: strings.Repeat("\xff", 100)},
			Renewal: Renewal{Mode: "\xff", WithinDays: -big, Period: big}},
		{Ranges: all, Count: big, Config: Config{CPU: -big, Mem: big, OS: "linux", InstanceType: "CVM.I1", StorageType: "cloud",
			StorageSize: -big, RootSize: big}, Renewal: Renewal{Mode: "auto", WithinDays: big, Period: -big}},
	}
	for i, g := range odd {
		for _, region := range []string{"", "gz", "ap-mars"} {
			diags := checkGroup(region, g, nil)
			for _, d := range diags {
				if d.Subject == nil || Code(d) == "" || d.Summary == "" || d.Detail == "" {
					t.Errorf("group %d: incomplete diagnostic %+v", i, d)
				}
			}
		}
	}
	if diags := checkGroup("gz", &Group{Count: -1, Config: Config{PrivateIPs: []string{"1.2.3.4"}}}, nil); len(diags) != 0 {
		t.Errorf("attributes without ranges: got %s; want none", ruleDescribe(diags))
	}
}

// BenchmarkCheckGroup measures the rules on a fully written valid group, the common case.
func BenchmarkCheckGroup(b *testing.B) {
	ranges := map[string]hcl.Range{}
	for _, a := range []string{"count", "cpu", "mem", "image_id", "period", "zone_id", "instance_type", "password"} {
		ranges[a] = hcl.Range{Filename: "b.fleet.hcl"}
	}
	g := &Group{Name: "web", Count: 3, Ranges: ranges, Config: Config{CPU: 2, Mem: 8, ImageID: "img-lkxqa4kj",
		ImageType: "public", Period: 12, InstanceType: "CVM.S2", ZoneID: 100003, StorageType: "local", RootSize: 20,
		OS: "linux", BandwidthType: "PayByBandwidth", Password: ruleLinuxPass, InstanceName: "web"}}
	b.ReportAllocs()
	for b.Loop() {
		if diags := checkGroup("ap-guangzhou", g, nil); len(diags) != 0 {
			b.Fatal(ruleDescribe(diags))
		}
	}
}
