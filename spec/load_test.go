package spec

import (
	"fleet/internal/secret"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// ldFiles turns "name", "source", "name", "source", ... into files.
func ldFiles(pairs ...string) []File {
	var files []File
	for i := 0; i+1 < len(pairs); i += 2 {
		files = append(files, File{Name: pairs[i], Src: []byte(pairs[i+1])})
	}
	return files
}

// ldDiags describes diagnostics as "code file:line" (with " warning" for warnings), in order.
func ldDiags(diags hcl.Diagnostics) []string {
	out := []string{}
	for _, d := range diags {
		s := Code(d)
		if d.Subject != nil {
			s += fmt.Sprintf(" %s:%d", d.Subject.Filename, d.Subject.Start.Line)
		}
		if d.Severity == hcl.DiagWarning {
			s += " warning"
		}
		out = append(out, s)
	}
	return out
}

// ldHeader is a fleet block and a defaults block with every required attribute but count:
// lines 1 to 8.
const ldHeader = `# The shared header of the loader tests.
fleet "prod" { region = "ap-guangzhou" }
defaults {
  cpu      = 2
  mem      = 4
  image_id = "img-lkxqa4kj"
  period   = 12
}
`

// ldGroup returns the group of a loaded fleet by name.
func ldGroup(t *testing.T, f *Fleet, name string) *Group {
	t.Helper()
	for _, g := range f.Groups {
		if g.Name == name {
			return g
		}
	}
	var names []string
	for _, g := range f.Groups {
		names = append(names, g.Name)
	}
	t.Fatalf("no group %q; groups: %v", name, names)
	return nil
}

func ldNoErrors(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	if diags.HasErrors() {
		t.Fatalf("unexpected errors: %v", ldDiags(diags))
	}
}

func TestLoadFullGroup(t *testing.T) {
	src := `fleet "prod" {
  region     = "gz"
  project_id = 7
}
group "web" {
  count          = 3
  cpu            = 2
  mem            = 4
  image_id       = "img-lkxqa4kj"
  image_type     = "private"
  period         = 6
  instance_type  = "CVM.S2"
  zone_id        = 100003
  storage_type   = "cloud"
  storage_size   = 100
  root_size      = 30
  os             = "linux"
  bandwidth_type = "PayByTraffic"
  bandwidth      = 10
  wan_ip         = true
  vpc_id         = "vpc-2ari9m7h"
  subnet_id      = "subnet-3lzrkspo"
  vpc_gateway    = false
  private_ips    = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
  key_id         = "skey-3glfot13"
  security_agent = false
  monitor_agent  = false
  project_id     = 9
  instance_name  = "web-node"
  renew          = "fleet"
  renew_within_days = 7
  renew_period   = 3
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	ldNoErrors(t, diags)
	if f.Name != "prod" || f.Region != "ap-guangzhou" || f.ProjectID != 7 {
		t.Errorf("fleet = %q %q %d, want prod ap-guangzhou 7", f.Name, f.Region, f.ProjectID)
	}
	if f.DeclRange.Start.Line != 1 {
		t.Errorf("fleet DeclRange line %d, want 1", f.DeclRange.Start.Line)
	}
	g := ldGroup(t, f, "web")
	want := Config{
		CPU: 2, Mem: 4, ImageID: "img-lkxqa4kj", ImageType: "private", Period: 6, InstanceType: "CVM.S2",
		ZoneID: 100003, StorageType: "cloud", StorageSize: 100, RootSize: 30, OS: "linux",
		BandwidthType: "PayByTraffic", Bandwidth: 10, WanIP: true, VpcID: "vpc-2ari9m7h",
		SubnetID: "subnet-3lzrkspo", PrivateIPs: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"},
		KeyID: "skey-3glfot13", ProjectID: 9, InstanceName: "web-node",
	}
	if diff := cmp.Diff(want, g.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Renewal{Mode: "fleet", WithinDays: 7, Period: 3}, g.Renewal); diff != "" {
		t.Errorf("renewal (-want +got):\n%s", diff)
	}
	if g.Count != 3 || g.DeclRange.Start.Line != 5 {
		t.Errorf("count %d line %d, want 3 and 5", g.Count, g.DeclRange.Start.Line)
	}
	if len(g.Ranges) != len(groupAttrs)-1 { // every attribute but password
		t.Errorf("got %d ranges, want %d", len(g.Ranges), len(groupAttrs)-1)
	}
	if r := g.Ranges["period"]; r.Start.Line != 11 || r.Start.Column != 20 {
		t.Errorf("period range %v, want line 11 column 20", r)
	}
}

func TestLoadDefaultsApplied(t *testing.T) {
	src := ldHeader + `group "a" {
  count = 1
}
group "w" {
  count = 2
  os    = "windows"
  cpu   = null
  bandwidth = 5
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	ldNoErrors(t, diags)
	a := ldGroup(t, f, "a")
	want := Config{
		CPU: 2, Mem: 4, ImageID: "img-lkxqa4kj", ImageType: "public", Period: 12, InstanceType: "CVM.S1",
		StorageType: "local", RootSize: 20, OS: "linux", BandwidthType: "PayByBandwidth",
		SecurityAgent: true, MonitorAgent: true, InstanceName: "a",
	}
	if diff := cmp.Diff(want, a.Config); diff != "" {
		t.Errorf("group a config (-want +got):\n%s", diff)
	}
	gotRanges := map[string]int{}
	for k, r := range a.Ranges {
		gotRanges[k] = r.Start.Line
	}
	if diff := cmp.Diff(map[string]int{"count": 10, "cpu": 4, "mem": 5, "image_id": 6, "period": 7}, gotRanges); diff != "" {
		t.Errorf("group a ranges (-want +got):\n%s", diff)
	}
	w := ldGroup(t, f, "w")
	if w.Config.RootSize != 50 || !w.Config.WanIP || w.Config.CPU != 2 {
		t.Errorf("windows group: root_size %d wan_ip %v cpu %d, want 50 true 2 (null falls back to the default)",
			w.Config.RootSize, w.Config.WanIP, w.Config.CPU)
	}
	if _, ok := w.Ranges["root_size"]; ok {
		t.Errorf("root_size has a range though it was not set")
	}
}

func TestLoadLiterals(t *testing.T) {
	src := ldHeader + `variable "pw" {
  type      = string
  sensitive = true
  default   = "Abcdef12!"
}
group "a" {
  count    = 1
  password = "Abcdef12!"
}
group "b" {
  count    = 1
  password = var.pw
}
group "c" {
  count    = 1
  password = upper("abcdef12!")
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	ldNoErrors(t, diags)
	got := map[string]bool{}
	for _, g := range f.Groups {
		got[g.Name] = g.Literals["password"]
		if !g.Literals["cpu"] {
			t.Errorf("group %s: cpu from defaults not marked literal", g.Name)
		}
	}
	if diff := cmp.Diff(map[string]bool{"a": true, "b": false, "c": true}, got); diff != "" {
		t.Errorf("password literal (-want +got):\n%s", diff)
	}
	if p := ldGroup(t, f, "b").Config.Password; p != "Abcdef12!" {
		t.Errorf("password from variable = %q", p)
	}
}

func TestLoadVariablePrecedence(t *testing.T) {
	src := ldHeader + `variable "n" {
  type    = number
  default = 1
}
group "a" {
  count = var.n
}
`
	varFile := func(n int) File {
		return File{Name: fmt.Sprintf("v%d.fleetvars", n), Src: []byte(fmt.Sprintf("n = %d\n", n))}
	}
	tests := []struct {
		name string
		in   Inputs
		want int
	}{
		{"default", Inputs{}, 1},
		{"env over default", Inputs{Env: map[string]string{"n": "2"}}, 2},
		{"file over env", Inputs{Env: map[string]string{"n": "2"}, VarFiles: []File{varFile(3)}}, 3},
		{"later file wins", Inputs{VarFiles: []File{varFile(3), varFile(4)}}, 4},
		{"var over file", Inputs{Vars: map[string]string{"n": "5"}, VarFiles: []File{varFile(3)}, Env: map[string]string{"n": "2"}}, 5},
		{"expression text", Inputs{Vars: map[string]string{"n": "2 + 4"}}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := Load(ldFiles("a.fleet.hcl", src), tt.in)
			ldNoErrors(t, diags)
			if got := ldGroup(t, f, "a").Count; got != tt.want {
				t.Errorf("count = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLoadVariableTypes(t *testing.T) {
	src := ldHeader + `variable "name" {
  type = string
}
variable "zones" {
  type = map(number)
}
variable "ips" {
  type = list(string)
}
variable "anything" {}
group "a" {
  for_each      = var.zones
  count         = 1
  zone_id       = each.value
  instance_name = "${var.name}-${each.key}-${var.anything}"
  storage_size  = length(var.ips) * 10
}
`
	in := Inputs{
		Vars: map[string]string{"name": "web", "zones": `{ z3 = 100003, z4 = "100004" }`, "anything": "x"},
		Env:  map[string]string{"ips": `["10.0.0.1"]`},
	}
	f, diags := Load(ldFiles("a.fleet.hcl", src), in)
	ldNoErrors(t, diags)
	g := ldGroup(t, f, "a[z4]")
	if g.Config.ZoneID != 100004 || g.Config.InstanceName != "web-z4-x" || g.Config.StorageSize != 10 {
		t.Errorf("got zone %d name %q storage %d", g.Config.ZoneID, g.Config.InstanceName, g.Config.StorageSize)
	}
	var names []string
	for _, v := range f.Vars {
		names = append(names, v.Name)
		if v.Hash == "" || !strings.HasPrefix(v.Hash, "sha256:") {
			t.Errorf("var %s hash %q", v.Name, v.Hash)
		}
	}
	if diff := cmp.Diff([]string{"anything", "ips", "name", "zones"}, names); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
}

func TestLoadVarsHash(t *testing.T) {
	src := ldHeader + `variable "pw" {
  type      = string
  sensitive = true
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{Vars: map[string]string{"pw": "Secret-123"}})
	ldNoErrors(t, diags)
	want := []VarValue{{Name: "pw", Sensitive: true, Hash: secret.Hash(`"Secret-123"`)}}
	if diff := cmp.Diff(want, f.Vars); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
}

func TestLoadLocals(t *testing.T) {
	src := ldHeader + `locals {
  c = local.b * 2
  name = "web"
}
locals {
  b = local.a + 1
  a = var.base
}
variable "base" {
  default = 2
  type    = number
}
group "a" {
  count         = local.c
  instance_name = format("%s-%02d", local.name, local.a)
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	ldNoErrors(t, diags)
	g := ldGroup(t, f, "a")
	if g.Count != 6 || g.Config.InstanceName != "web-02" {
		t.Errorf("count %d name %q, want 6 web-02", g.Count, g.Config.InstanceName)
	}
}

func TestLoadForEach(t *testing.T) {
	src := ldHeader + `locals {
  zones = { "gz3" = 100003, "gz4" = 100004 }
}
group "web" {
  for_each      = local.zones
  count         = 2
  zone_id       = each.value
  instance_name = "web-${each.key}"
}
group "db" {
  for_each = toset(["b", "a"])
  count    = 1
  instance_name = each.value
}
group "none" {
  for_each = {}
  count    = 1
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	ldNoErrors(t, diags)
	type row struct {
		Name, Instance string
		Zone           int
	}
	var got []row
	for _, g := range f.Groups {
		got = append(got, row{g.Name, g.Config.InstanceName, g.Config.ZoneID})
	}
	want := []row{{"db[a]", "a", 0}, {"db[b]", "b", 0}, {"web[gz3]", "web-gz3", 100003}, {"web[gz4]", "web-gz4", 100004}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

func TestLoadFunctions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`format("%s-%d", "a", 3)`, "a-3"},
		{`format("%05d", 42)`, "00042"},
		{`indent(2, "a\nb")`, "a\n  b"},
		{`tostring(length(setproduct(["a", "b"], [1, 2, 3])))`, "6"},
		{`join(",", formatlist("x%s", ["a", "b"]))`, "xa,xb"},
		{`join("-", split(",", "a,b"))`, "a-b"},
		{`upper(lower("AbC"))`, "ABC"},
		{`title("web tier")`, "Web Tier"},
		{`trimspace("  a ")`, "a"},
		{`replace("a-b", "-", "_")`, "a_b"},
		{`substr("abcdef", 1, 3)`, "bcd"},
		{`tostring(length("héllo") + length([1, 2]) + length({a = 1}))`, "8"},
		{`tostring(abs(-3) + ceil(1.2) + floor(1.8) + max(1, 5) + min(4, 2))`, "13"},
		{`join(",", concat(["a"], ["b"]))`, "a,b"},
		{`join(",", [for n in range(3) : tostring(n)])`, "0,1,2"},
		{`lookup({a = "x"}, "b", "dflt")`, "dflt"},
		{`coalesce(null, "b")`, "b"},
		{`join(",", coalescelist([], ["z"]))`, "z"},
		{`tostring(contains(["a"], "a"))`, "true"},
		{`join(",", distinct(["a", "a", "b"]))`, "a,b"},
		{`element(["a", "b"], 3)`, "b"},
		{`join(",", flatten([["a"], ["b", "c"]]))`, "a,b,c"},
		{`join(",", keys({b = 1, a = 2}))`, "a,b"},
		{`join(",", [for v in values({b = "1", a = "2"}) : v])`, "2,1"},
		{`merge({a = "1"}, {a = "2"}).a`, "2"},
		{`join(",", reverse(["a", "b"]))`, "b,a"},
		{`join(",", slice(["a", "b", "c"], 1, 3))`, "b,c"},
		{`join(",", sort(["b", "a"]))`, "a,b"},
		{`tostring(length(toset(["a", "a"])))`, "1"},
		{`join(",", tolist(["a"]))`, "a"},
		{`tomap({a = "x"}).a`, "x"},
		{`tostring(tonumber("12") + 1)`, "13"},
		{`tostring(tobool("true"))`, "true"},
		{`zipmap(["a"], ["x"]).a`, "x"},
		{`jsonencode({a = 1})`, `{"a":1}`},
		{`jsondecode("{\"a\": \"x\"}").a`, "x"},
		{`tostring(can(tonumber("x")))`, "false"},
		{`try(tonumber("x"), "fallback")`, "fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			src := ldHeader + "group \"a\" {\n  count = 1\n  instance_name = " + tt.expr + "\n}\n"
			f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
			ldNoErrors(t, diags)
			if got := ldGroup(t, f, "a").Config.InstanceName; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// ldDiagCase is a spec that must give exactly the diagnostics want, as "code file:line".
type ldDiagCase struct {
	name   string
	files  []File
	in     Inputs
	want   []string
	detail string // text one of the diagnostics' details must hold
}

func (c ldDiagCase) run(t *testing.T) {
	t.Helper()
	f, diags := Load(c.files, c.in)
	if f == nil {
		t.Fatal("Load returned a nil fleet")
	}
	if diff := cmp.Diff(c.want, ldDiags(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\ndetails:\n%s", diff, ldDetails(diags))
	}
	if c.detail != "" && !strings.Contains(ldDetails(diags), c.detail) {
		t.Errorf("no detail holds %q:\n%s", c.detail, ldDetails(diags))
	}
	for _, d := range diags {
		if Code(d) == "" || d.Summary == "" || d.Detail == "" {
			t.Errorf("diagnostic without code, summary or detail: %+v", d)
		}
	}
}

func ldDetails(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "  [%s] %s: %s\n", Code(d), d.Summary, d.Detail)
	}
	return b.String()
}

// ldSpec is a spec with the header and one group "a" with count = 1 and the given lines
// from line 11 on.
func ldSpec(lines ...string) []File {
	return ldFiles("a.fleet.hcl", ldHeader+"group \"a\" {\n  count = 1\n"+strings.Join(lines, "\n")+"\n}\n")
}

func TestLoadStructuralDiagnostics(t *testing.T) {
	tests := []ldDiagCase{
		{name: "native syntax error", files: ldFiles("a.fleet.hcl", ldHeader+"group \"a\" {\n  count = \n}\n"),
			want: []string{"syntax a.fleet.hcl:10"}},
		{name: "json syntax error", files: ldFiles("a.fleet.json", "{\n  \"fleet\": {\"p\": {\"region\": \"gz\",}}\n}"),
			want: []string{"syntax a.fleet.json:2"}},
		{name: "no fleet block", files: ldFiles("a.fleet.hcl", "locals {}\n"),
			want: []string{"fleet-block a.fleet.hcl:1"}},
		{name: "no files", want: []string{"fleet-block"}},
		{name: "two fleet blocks", files: ldFiles("a.fleet.hcl", ldHeader, "b.fleet.hcl", "\nfleet \"other\" {\n  region = \"gz\"\n}\n"),
			want: []string{"fleet-block b.fleet.hcl:2"}},
		{name: "missing region", files: ldFiles("a.fleet.hcl", "fleet \"p\" {\n}\n"),
			want: []string{"missing-attribute a.fleet.hcl:1"}},
		{name: "unknown region", files: ldFiles("a.fleet.hcl", "fleet \"p\" {\n  region = \"ap-guangzho\"\n}\n"),
			want: []string{"region a.fleet.hcl:2"}, detail: `Did you mean "ap-guangzhou"?`},
		{name: "fleet project id negative", files: ldFiles("a.fleet.hcl", "fleet \"p\" {\n  region = \"gz\"\n  project_id = -1\n}\n"),
			want: []string{"project-id a.fleet.hcl:3"}},
		{name: "fleet project id not whole", files: ldFiles("a.fleet.hcl", "fleet \"p\" {\n  region = \"gz\"\n  project_id = 1.5\n}\n"),
			want: []string{"project-id a.fleet.hcl:3"}},
		{name: "unknown attribute", files: ldSpec("  bandwith = 10"),
			want: []string{"unknown-attribute a.fleet.hcl:11"}, detail: `Did you mean "bandwidth"?`},
		{name: "unknown attribute in fleet", files: ldFiles("a.fleet.hcl", "fleet \"p\" {\n  region = \"gz\"\n  regoin = \"gz\"\n}\n"),
			want: []string{"unknown-attribute a.fleet.hcl:3"}, detail: `Did you mean "region"?`},
		{name: "unknown attribute in defaults", files: ldFiles("a.fleet.hcl", ldHeader+"defaults {\n}\n"),
			want: []string{"duplicate-declaration a.fleet.hcl:9"}},
		{name: "unknown block", files: ldFiles("a.fleet.hcl", ldHeader+"grup \"x\" {\n}\n"),
			want: []string{"unknown-block a.fleet.hcl:9"}, detail: `Did you mean "group"?`},
		{name: "block inside a group", files: ldSpec("  tags {\n  }"),
			want: []string{"unknown-block a.fleet.hcl:11"}},
		{name: "missing count", files: ldFiles("a.fleet.hcl", ldHeader+"group \"a\" {\n}\n"),
			want: []string{"missing-attribute a.fleet.hcl:9"}},
		{name: "missing everything", files: ldFiles("a.fleet.hcl", "fleet \"p\" {\n  region = \"gz\"\n}\ngroup \"a\" {\n  count = 1\n}\n"),
			want: []string{"missing-attribute a.fleet.hcl:4", "missing-attribute a.fleet.hcl:4", "missing-attribute a.fleet.hcl:4", "missing-attribute a.fleet.hcl:4"}},
		{name: "wrong type", files: ldSpec(`  zone_id = "abc"`),
			want: []string{"type a.fleet.hcl:11"}},
		{name: "wrong type bool", files: ldSpec(`  wan_ip = "maybe"`),
			want: []string{"type a.fleet.hcl:11"}},
		{name: "wrong type list", files: ldSpec(`  private_ips = "10.0.0.1"`),
			want: []string{"type a.fleet.hcl:11"}},
		{name: "cpu not whole", files: ldSpec(`  cpu = 1.5`),
			want: []string{"type a.fleet.hcl:11"}},
		{name: "count not whole", files: ldFiles("a.fleet.hcl", ldHeader+"group \"a\" {\n  count = 1.5\n}\n"),
			want: []string{"count-range a.fleet.hcl:10"}},
		{name: "period not whole", files: ldSpec(`  period = 2.5`),
			want: []string{"period-range a.fleet.hcl:11"}},
		{name: "bandwidth not whole", files: ldSpec(`  bandwidth = 0.5`),
			want: []string{"bandwidth-range a.fleet.hcl:11"}},
		{name: "project id not whole", files: ldSpec(`  project_id = 0.5`),
			want: []string{"project-id a.fleet.hcl:11"}},
		{name: "number too large", files: ldSpec(`  storage_size = 1e30`),
			want: []string{"type a.fleet.hcl:11"}},
		{name: "duplicate group", files: ldFiles("a.fleet.hcl", ldHeader+"group \"a\" {\n  count = 1\n}\n", "b.fleet.hcl", "group \"a\" {\n  count = 2\n}\n"),
			want: []string{"duplicate-group b.fleet.hcl:1"}},
		{name: "duplicate for_each group", files: ldFiles("a.fleet.hcl", ldHeader+"group \"a\" {\n  for_each = toset([\"x\"])\n  count = 1\n}\ngroup \"a\" {\n  for_each = { x = 1 }\n  count = 1\n}\n"),
			want: []string{"duplicate-group a.fleet.hcl:13"}},
		{name: "invalid group name", files: ldFiles("a.fleet.hcl", ldHeader+"group \"a b\" {\n  count = 1\n}\n"),
			want: []string{"group-name a.fleet.hcl:9"}},
		{name: "group without name", files: ldFiles("a.fleet.hcl", ldHeader+"group {\n  count = 1\n}\n"),
			want: []string{"syntax a.fleet.hcl:9"}},
		{name: "undefined variable", files: ldSpec("  cpu = var.cpus"),
			want: []string{"undefined-reference a.fleet.hcl:11"}, detail: `No variable named "cpus"`},
		{name: "undefined variable suggestion", files: ldFiles("a.fleet.hcl", ldHeader+"variable \"cpus\" {\n  default = 2\n}\ngroup \"a\" {\n  count = 1\n  cpu = var.cpu\n}\n"),
			want: []string{"undefined-reference a.fleet.hcl:14"}, detail: `Did you mean "cpus"?`},
		{name: "undefined local", files: ldFiles("a.fleet.hcl", ldHeader+"locals {\n  zone = 100003\n}\ngroup \"a\" {\n  count = 1\n  zone_id = local.zon\n}\n"),
			want: []string{"undefined-reference a.fleet.hcl:14"}, detail: `Did you mean "zone"?`},
		{name: "each outside for_each", files: ldSpec("  instance_name = each.key"),
			want: []string{"undefined-reference a.fleet.hcl:11"}},
		{name: "each attribute", files: ldSpec("  for_each = { x = 1 }", "  instance_name = each.kye"),
			want: []string{"undefined-reference a.fleet.hcl:12"}, detail: `Did you mean "key"?`},
		{name: "bare word", files: ldSpec("  image_type = public"),
			want: []string{"undefined-reference a.fleet.hcl:11"}, detail: `put it in quotes`},
		{name: "unknown function", files: ldSpec(`  instance_name = lowr("A")`),
			want: []string{"undefined-reference a.fleet.hcl:11"}, detail: `Did you mean "lower"?`},
		{name: "function error", files: ldSpec(`  cpu = tonumber("x")`),
			want: []string{"type a.fleet.hcl:11"}},
		{name: "huge format width", files: ldSpec(`  instance_name = format("%999999999d", 1)`),
			want: []string{"type a.fleet.hcl:11"}, detail: "width"},
		{name: "huge indent", files: ldSpec(`  instance_name = indent(999999999, "a\nb")`),
			want: []string{"type a.fleet.hcl:11"}, detail: "indentation"},
		{name: "huge product", files: ldSpec(`  instance_name = tostring(length(setproduct(range(1000), range(1000))))`),
			want: []string{"type a.fleet.hcl:11"}, detail: "product"},
		{name: "json type error", files: ldFiles("a.fleet.json", "{\n\"fleet\": {\"p\": {\"region\": \"gz\"}},\n\"defaults\": {\"mem\": 4, \"image_id\": \"img-lkxqa4kj\", \"period\": 12},\n\"group\": {\"a\": {\n  \"count\": 1,\n  \"cpu\": \"x\"\n}}\n}"),
			want: []string{"type a.fleet.json:6"}},
		{name: "json missing attribute", files: ldFiles("a.fleet.json", "{\n\"fleet\": {\"p\": {\"region\": \"gz\"}},\n\"defaults\": {\"mem\": 4, \"image_id\": \"img-lkxqa4kj\", \"period\": 12},\n\"group\": {\n  \"a\": {\"count\": 1}\n}\n}"),
			want: []string{"missing-attribute a.fleet.json:5"}},
		{name: "json and native fleet", files: ldFiles("a.fleet.hcl", ldHeader, "b.fleet.json", "{\n\"fleet\": {\"q\": {\"region\": \"gz\"}}\n}"),
			want: []string{"fleet-block b.fleet.json:2"}},
		{name: "json undefined reference", files: ldFiles("a.fleet.hcl", ldHeader, "b.fleet.json", "{\"group\": {\"a\": {\n\"count\": \"${var.nope}\"\n}}}"),
			want: []string{"undefined-reference b.fleet.json:2"}},
		{name: "locals loop", files: ldFiles("a.fleet.hcl", ldHeader+"locals {\n  a = local.b\n  b = local.c\n  c = local.a\n  d = local.a\n}\ngroup \"g\" {\n  count = local.d\n}\n"),
			want: []string{"reference-cycle a.fleet.hcl:10"}, detail: "local.a -> local.b -> local.c -> local.a"},
		{name: "locals self loop", files: ldFiles("a.fleet.hcl", ldHeader+"locals {\n  a = local.a + 1\n}\n"),
			want: []string{"reference-cycle a.fleet.hcl:10"}},
		{name: "duplicate local", files: ldFiles("a.fleet.hcl", ldHeader+"locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n"),
			want: []string{"duplicate-declaration a.fleet.hcl:13"}},
		{name: "duplicate variable", files: ldFiles("a.fleet.hcl", ldHeader+"variable \"a\" {\n  default = 1\n}\nvariable \"a\" {\n  default = 2\n}\n"),
			want: []string{"duplicate-declaration a.fleet.hcl:12"}},
		{name: "for_each list", files: ldSpec(`  for_each = ["a", "b"]`),
			want: []string{"type a.fleet.hcl:11"}, detail: "toset"},
		{name: "for_each number", files: ldSpec(`  for_each = 3`),
			want: []string{"type a.fleet.hcl:11"}},
		{name: "for_each set of numbers", files: ldSpec(`  for_each = toset([1, 2])`),
			want: []string{}},
		{name: "for_each bad key", files: ldSpec(`  for_each = { "a b" = 1, ok = 2 }`),
			want: []string{"group-name a.fleet.hcl:11"}},
		{name: "for_each null", files: ldSpec(`  for_each = null`),
			want: []string{"type a.fleet.hcl:11"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestLoadVariableDiagnostics(t *testing.T) {
	decl := func(body string) []File {
		return ldFiles("a.fleet.hcl", ldHeader+"variable \"v\" {\n"+body+"\n}\ngroup \"a\" {\n  count = 1\n  instance_name = tostring(var.v)\n}\n")
	}
	tests := []ldDiagCase{
		{name: "missing value", files: decl("  type = string"),
			want: []string{"variable-value a.fleet.hcl:9"}, detail: "FLEET_VAR_v"},
		{name: "default of wrong type", files: decl("  type = number\n  default = \"x\""),
			want: []string{"variable-value a.fleet.hcl:11"}, detail: "of type number"},
		{name: "var of wrong type", files: decl("  type = number"), in: Inputs{Vars: map[string]string{"v": "abc"}},
			want: []string{"variable-value"}, detail: "of type number"},
		{name: "env of wrong type", files: decl("  type = bool"), in: Inputs{Env: map[string]string{"v": "[1]"}},
			want: []string{"variable-value"}, detail: "of type bool"},
		{name: "var file of wrong type", files: decl("  type = number"),
			in:   Inputs{VarFiles: ldFiles("x.fleetvars", "\nv = \"abc\"\n")},
			want: []string{"variable-value x.fleetvars:2"}},
		{name: "validation fails", files: decl("  type = number\n  default = 3\n  validation {\n    condition = var.v > 5\n    error_message = \"v must be above 5.\"\n  }"),
			want: []string{"variable-value a.fleet.hcl:11"}, detail: "v must be above 5."},
		{name: "validation fails on --var", files: decl("  type = number\n  validation {\n    condition = var.v > 5\n    error_message = \"v must be above 5.\"\n  }"),
			in:   Inputs{Vars: map[string]string{"v": "2"}},
			want: []string{"variable-value a.fleet.hcl:12"}, detail: "v must be above 5."},
		{name: "validation passes", files: decl("  type = number\n  default = 6\n  validation {\n    condition = var.v > 5\n    error_message = \"v must be above 5.\"\n  }\n  validation {\n    condition = var.v < 10\n    error_message = \"v must be below 10.\"\n  }"),
			want: []string{}},
		{name: "second validation fails", files: decl("  type = number\n  default = 16\n  validation {\n    condition = var.v > 5\n    error_message = \"v must be above 5.\"\n  }\n  validation {\n    condition = var.v < 10\n    error_message = \"v must be below 10.\"\n  }"),
			want: []string{"variable-value a.fleet.hcl:11"}, detail: "v must be below 10."},
		{name: "validation refers to another variable", files: decl("  default = 1\n  validation {\n    condition = var.w > 5\n    error_message = \"x\"\n  }"),
			want: []string{"undefined-reference a.fleet.hcl:12"}},
		{name: "validation without message", files: decl("  default = 1\n  validation {\n    condition = true\n  }"),
			want: []string{"missing-attribute a.fleet.hcl:11"}},
		{name: "default with reference", files: decl("  default = local.x"),
			want: []string{"variable-value a.fleet.hcl:10"}},
		{name: "invalid type", files: decl("  type = strin"),
			want: []string{"type a.fleet.hcl:10"}},
		{name: "undeclared --var", files: decl("  default = 1"), in: Inputs{Vars: map[string]string{"w": "1"}},
			want: []string{"variable-value"}, detail: `Did you mean "v"?`},
		{name: "undeclared in var file", files: decl("  default = 1"), in: Inputs{VarFiles: ldFiles("x.fleetvars", "vv = 1\n")},
			want: []string{"variable-value x.fleetvars:1 warning"}, detail: `Did you mean "v"?`},
		{name: "undeclared in env is ignored", files: decl("  default = 1"), in: Inputs{Env: map[string]string{"w": "1"}},
			want: []string{}},
		{name: "unknown attribute in variable", files: decl("  defualt = 1"),
			want: []string{"variable-value a.fleet.hcl:9", "unknown-attribute a.fleet.hcl:10"}, detail: `Did you mean "default"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestLoadErrorsReachGroups(t *testing.T) {
	src := ldHeader + `variable "n" {
  type = number
}
locals {
  size = var.n * 10
}
group "a" {
  count        = 1
  storage_size = local.size
}
group "b" {
  count = 1
}
group "c" {
  count  = 1
  period = "x"
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	if diff := cmp.Diff([]string{"variable-value a.fleet.hcl:9", "type a.fleet.hcl:24"}, ldDiags(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	got := map[string][]string{}
	for _, g := range f.Groups {
		got[g.Name] = ldDiags(g.Diags)
	}
	want := map[string][]string{
		"a": {"variable-value a.fleet.hcl:9"},
		"b": {},
		"c": {"type a.fleet.hcl:24"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group diagnostics (-want +got):\n%s", diff)
	}
	if ldGroup(t, f, "a").Valid() || !ldGroup(t, f, "b").Valid() {
		t.Errorf("group a must be invalid and b valid")
	}
}

func TestLoadDefaultsErrorsReachGroups(t *testing.T) {
	src := `fleet "p" {
  region = "gz"
}
defaults {
  cpu = 2
  mem = 4
  image_id = "img-lkxqa4kj"
  period = 12
  instance_typ = "CVM.S2"
  zone_id = "x"
}
group "a" {
  count = 1
}
group "b" {
  count   = 1
  zone_id = 100003
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	if diff := cmp.Diff([]string{"unknown-attribute a.fleet.hcl:9", "type a.fleet.hcl:10"}, ldDiags(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	got := map[string][]string{}
	for _, g := range f.Groups {
		got[g.Name] = ldDiags(g.Diags)
	}
	want := map[string][]string{
		"a": {"unknown-attribute a.fleet.hcl:9", "type a.fleet.hcl:10"},
		"b": {"unknown-attribute a.fleet.hcl:9"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group diagnostics (-want +got):\n%s", diff)
	}
}

func TestLoadJSONSyntax(t *testing.T) {
	native := `fleet "prod" {
  region = "ap-guangzhou"
}
variable "zones" {
  type    = set(string)
  default = ["a", "b"]
}
locals {
  img = "img-lkxqa4kj"
}
defaults {
  period = 12
}
group "web" {
  for_each      = var.zones
  count         = 2
  cpu           = 2
  mem           = 4
  image_id      = local.img
  instance_name = "web-${each.key}"
}
`
	jsonSrc := `{
  "fleet": {"prod": {"region": "ap-guangzhou"}},
  "variable": {"zones": {"type": "set(string)", "default": ["a", "b"]}},
  "locals": {"img": "img-lkxqa4kj"},
  "defaults": {"period": 12},
  "group": {
    "web": {
      "for_each": "${var.zones}",
      "count": 2,
      "cpu": 2,
      "mem": 4,
      "image_id": "${local.img}",
      "instance_name": "web-${each.key}"
    }
  }
}
`
	fn, diags := Load(ldFiles("a.fleet.hcl", native), Inputs{})
	ldNoErrors(t, diags)
	fj, diags := Load(ldFiles("a.fleet.json", jsonSrc), Inputs{})
	ldNoErrors(t, diags)
	summary := func(f *Fleet) []string {
		var out []string
		for _, g := range f.Groups {
			out = append(out, fmt.Sprintf("%s %d %+v", g.Name, g.Count, g.Config))
		}
		return out
	}
	if diff := cmp.Diff(summary(fn), summary(fj)); diff != "" {
		t.Errorf("native and JSON differ (-native +json):\n%s", diff)
	}
	if len(fj.Groups) != 2 {
		t.Errorf("got %d groups from JSON, want 2", len(fj.Groups))
	}

	bad := `{
  "fleet": {"prod": {"region": "ap-guangzhou"}},
  "defaults": {"period": 12, "cpu": 2, "mem": 4, "image_id": "img-lkxqa4kj"},
  "group": {
    "web": {
      "count": 2,
      "bandwith": 3
    }
  },
  "grup": {}
}
`
	ldDiagCase{files: ldFiles("b.fleet.json", bad), want: []string{"unknown-attribute b.fleet.json:7", "unknown-block b.fleet.json:10"},
		detail: `Did you mean "bandwidth"?`}.run(t)
}

func TestLoadManyFiles(t *testing.T) {
	files := ldFiles(
		"a.fleet.hcl", ldHeader+"group \"a\" {\n  count = 1\n  cpu = \"x\"\n}\n",
		"b.fleet.hcl", "group \"b\" {\n  count = 1\n  bandwith = 1\n}\n",
		"c.fleet.json", "{\"group\": {\"c\": {\"count\": 1.5}}}",
		"d.fleet.hcl", "group \"d\" {\n  count = \n}\n",
	)
	want := []string{"type a.fleet.hcl:11", "unknown-attribute b.fleet.hcl:3", "count-range c.fleet.json:1", "syntax d.fleet.hcl:2"}
	for range 3 { // files are parsed in parallel: the order must not depend on it
		_, diags := Load(files, Inputs{})
		if diff := cmp.Diff(want, ldDiags(diags)); diff != "" {
			t.Fatalf("diagnostics (-want +got):\n%s", diff)
		}
	}
}

func TestLoadSensitiveNeverShown(t *testing.T) {
	src := ldHeader + `variable "pw" {
  type      = string
  sensitive = true
}
group "a" {
  count    = 1
  cpu      = tonumber(var.pw)
  password = var.pw
}
`
	const secret = "Sup3rSecret!"
	for _, in := range []Inputs{
		{Vars: map[string]string{"pw": secret}},
		{Env: map[string]string{"pw": secret}},
	} {
		_, diags := Load(ldFiles("a.fleet.hcl", src), in)
		if !diags.HasErrors() {
			t.Fatal("want an error for tonumber of the password")
		}
		for _, d := range diags {
			if strings.Contains(d.Summary+d.Detail, secret) {
				t.Errorf("diagnostic shows the secret: %s: %s", d.Summary, d.Detail)
			}
			if d.EvalContext != nil || d.Expression != nil {
				t.Errorf("diagnostic keeps its evaluation context, which holds the secret")
			}
		}
	}
	srcNum := ldHeader + `variable "pin" {
  type      = number
  sensitive = true
}
`
	_, diags := Load(ldFiles("a.fleet.hcl", srcNum), Inputs{Vars: map[string]string{"pin": "Sup3rSecret!"}})
	for _, d := range diags {
		if strings.Contains(d.Summary+d.Detail, secret) {
			t.Errorf("diagnostic shows the raw value: %s", d.Detail)
		}
	}
	if diff := cmp.Diff([]string{"variable-value"}, ldDiags(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestLoadBadInput(t *testing.T) {
	junk := make([]byte, 1<<20)
	for i := range junk {
		junk[i] = "ab =\n{}\"#$"[i%10]
	}
	random := make([]byte, 10<<20)
	rand.NewChaCha8([32]byte{1}).Read(random)
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	var chain strings.Builder
	chain.WriteString(ldHeader + "locals {\n  l0 = 1\n")
	for i := 1; i < 5000; i++ {
		fmt.Fprintf(&chain, "  l%d = local.l%d + 1\n", i, i-1)
	}
	chain.WriteString("}\ngroup \"a\" {\n  count = local.l4999\n}\n")
	bigString := ldHeader + "locals {\n  s = \"" + strings.Repeat("abcdefgh", 1<<20/8) + "\"\n}\ngroup \"a\" {\n  count = 1\n  instance_name = substr(local.s, 0, 8)\n}\n"
	bigFile := ldHeader + "# " + strings.Repeat("abcdefgh", 10<<20/8) + "\ngroup \"a\" {\n  count = 1\n  cpu = \"x\"\n}\n"
	tests := []struct {
		name  string
		files []File
		code  string // a diagnostic with this code must be there; "" for none at all
	}{
		{"random bytes", ldFiles("a.fleet.hcl", "\x00\xff\xfe{{{\"\x01 = ]]"), "syntax"},
		{"random bytes json", ldFiles("a.fleet.json", "\x00\xff\xfe{{{\"\x01 = ]]"), "syntax"},
		{"1 MB of junk", ldFiles("a.fleet.hcl", string(junk)), "syntax"},
		{"10 MB of random bytes", ldFiles("a.fleet.hcl", string(random)), "syntax"},
		{"1 MB string", ldFiles("a.fleet.hcl", bigString), ""},
		{"10 MB file", ldFiles("a.fleet.hcl", bigFile), "type"},
		{"deep nesting", ldFiles("a.fleet.hcl", ldHeader+"locals {\n  x = "+deep+"\n}\n"), "syntax"},
		{"deep nesting json", ldFiles("a.fleet.json", "{\"locals\": {\"x\": "+deep+"}}"), "syntax"},
		{"unary chain", ldFiles("a.fleet.hcl", ldHeader+"locals {\n  x = "+strings.Repeat("-", 200000)+"1\n}\n"), "syntax"},
		{"conditional chain", ldFiles("a.fleet.hcl", ldHeader+"locals {\n  x = "+strings.Repeat("true ? 1 : ", 20000)+"1\n}\n"), "syntax"},
		{"nesting within bounds", ldFiles("a.fleet.hcl", ldHeader+"locals {\n  x = "+strings.Repeat("[", 500)+strings.Repeat("]", 500)+"\n}\n"), ""},
		{"long local chain", ldFiles("a.fleet.hcl", chain.String()), ""},
		{"empty file", ldFiles("a.fleet.hcl", ""), "fleet-block"},
		{"json array", ldFiles("a.fleet.json", "[1, 2]"), "syntax"},
		{"json null", ldFiles("a.fleet.json", "null"), "syntax"},
		{"json group string", ldFiles("a.fleet.json", `{"fleet": {"p": {"region": "gz"}}, "group": "x"}`), "syntax"},
		{"labels in json", ldFiles("a.fleet.json", `{"fleet": {"region": "gz"}}`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := Load(tt.files, Inputs{})
			if f == nil {
				t.Fatal("nil fleet")
			}
			codes := map[string]bool{}
			for _, d := range diags {
				codes[Code(d)] = true
				if Code(d) == "" {
					t.Errorf("diagnostic without a code: %s: %s", d.Summary, d.Detail)
				}
			}
			if tt.code == "" {
				return
			}
			if !codes[tt.code] {
				keys := make([]string, 0, len(codes))
				for c := range codes {
					keys = append(keys, c)
				}
				sort.Strings(keys)
				t.Errorf("no %s diagnostic; got %v", tt.code, keys)
			}
		})
	}
}

func TestTooDeep(t *testing.T) {
	n := maxNesting + 10
	tests := []struct {
		name, file, src string
		ok              bool
	}{
		{"brackets", "a.fleet.hcl", "x = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n), false},
		{"brackets in a string", "a.fleet.hcl", "x = \"" + strings.Repeat("(", n) + "\"", false},
		{"unary run", "a.fleet.hcl", "x = " + strings.Repeat("!", n) + "true", false},
		{"conditionals over lines in parentheses", "a.fleet.hcl", "x = (" + strings.Repeat("true ? 1 :\n", n) + "1)", false},
		{"after a heredoc with a quote", "a.fleet.hcl", "x = <<EOT\n\"\nEOT\ny = " + strings.Repeat("-", n) + "1\n", false},
		{"interpolation in json", "a.fleet.json", `{"x": "${` + strings.Repeat("-", n) + `1}"}`, false},
		{"hyphens in strings", "a.fleet.hcl", "x = [\n" + strings.Repeat("  \"ap-guangzhou-3\",\n", n) + "]\n", true},
		{"negative numbers in a list", "a.fleet.hcl", "x = [" + strings.Repeat("-1, ", n) + "]\n", true},
		{"attributes on lines", "a.fleet.hcl", "group \"a\" {\n" + strings.Repeat("  x = -1\n", n) + "}\n", true},
		{"comment of dashes", "a.fleet.hcl", "# " + strings.Repeat("-", n) + "\nx = 1\n", true},
		{"block comment", "a.fleet.hcl", "/* " + strings.Repeat("!", n) + " */\nx = 1\n", true},
		{"hyphens in json", "a.fleet.json", "{\"group\": {" + strings.Repeat(`"g": {"image_id": "img-a-b-c"}, `, n) + "}}", true},
		{"negative numbers in json", "a.fleet.json", "{\"x\": [" + strings.Repeat("-1, ", n) + "1]}", true},
		{"heredoc of dashes", "a.fleet.hcl", "x = <<-EOT\n" + strings.Repeat("- item\n", n) + "  EOT\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok := tooDeep(File{Name: tt.file, Src: []byte(tt.src)})
			if ok != tt.ok {
				t.Errorf("tooDeep ok = %v, want %v", ok, tt.ok)
			}
			// Whatever the scan says, loading must not crash.
			Load([]File{{Name: tt.file, Src: []byte(tt.src)}}, Inputs{})
		})
	}
}

func TestLoadForEachErrorOnce(t *testing.T) {
	src := ldHeader + `group "web" {
  for_each = toset(["a", "b", "c"])
  count    = 1
  zone_id  = "zone-${each.key}"
  cpu      = "x"
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	// Each key makes the same two mistakes: they are reported once, and each group has both.
	want := []string{"type a.fleet.hcl:12", "type a.fleet.hcl:13"}
	if diff := cmp.Diff(want, ldDiags(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, ldDetails(diags))
	}
	for _, g := range f.Groups {
		if diff := cmp.Diff([]string{"type a.fleet.hcl:12", "type a.fleet.hcl:13"}, ldDiags(g.Diags)); diff != "" {
			t.Errorf("group %s diagnostics (-want +got):\n%s", g.Name, diff)
		}
	}
}

func TestLoadFleetRulesReachGroups(t *testing.T) {
	src := ldHeader + `group "a" {
  count       = 1
  vpc_id      = "vpc-2ari9m7h"
  subnet_id   = "subnet-3lzrkspo"
  private_ips = ["10.0.0.1"]
}
group "b" {
  count       = 1
  vpc_id      = "vpc-2ari9m7h"
  subnet_id   = "subnet-3lzrkspo"
  private_ips = ["10.0.0.1"]
}
`
	f, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	if !diags.HasErrors() {
		t.Fatal("want a private-ip-duplicate error")
	}
	var found bool
	for _, d := range diags {
		if Code(d) != "private-ip-duplicate" {
			continue
		}
		found = true
		for _, g := range f.Groups {
			if r := g.Ranges["private_ips"]; r.Start.Byte == d.Subject.Start.Byte && g.Valid() {
				t.Errorf("group %s is named by %s but stays valid", g.Name, Code(d))
			}
		}
	}
	if !found {
		t.Errorf("no private-ip-duplicate: %v", ldDiags(diags))
	}
}

func TestLoadVarFileJSON(t *testing.T) {
	src := ldHeader + `variable "n" {
  type = number
}
variable "names" {
  type = list(string)
}
group "a" {
  count         = var.n
  instance_name = join("-", var.names)
}
`
	in := Inputs{VarFiles: ldFiles("vals.json", `{"n": 4, "names": ["x", "y"]}`)}
	f, diags := Load(ldFiles("a.fleet.hcl", src), in)
	ldNoErrors(t, diags)
	g := ldGroup(t, f, "a")
	if g.Count != 4 || g.Config.InstanceName != "x-y" {
		t.Errorf("count %d name %q, want 4 x-y", g.Count, g.Config.InstanceName)
	}
}

func TestLoadPasswordMasked(t *testing.T) {
	src := ldHeader + `group "a" {
  count    = 1
  password = "Abcdefgh12"
  cpu      = tonumber("Abcdefgh12")
}
`
	_, diags := Load(ldFiles("a.fleet.hcl", src), Inputs{})
	if !diags.HasErrors() {
		t.Fatal("want an error")
	}
	for _, d := range diags {
		if strings.Contains(d.Summary+d.Detail, "Abcdefgh12") {
			t.Errorf("diagnostic shows the password: %s: %s", d.Summary, d.Detail)
		}
	}
}

// TestLoadVarFileBadInput: a variable file gets the guards of a spec file. A file nested
// deeper than the parsers can recurse would otherwise overflow the stack and kill the process.
func TestLoadVarFileBadInput(t *testing.T) {
	src := []byte("fleet \"prod\" {\n  region = \"ap-guangzhou\"\n}\nvariable \"n\" {\n  type = number\n  default = 1\n}\n")
	deep := "n = " + strings.Repeat("[", maxNesting+1) + strings.Repeat("]", maxNesting+1) + "\n"
	for name, content := range map[string]string{
		"too deep": deep,
		"binary":   "n = 1\x00\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := Load([]File{{Name: "main.fleet.hcl", Src: src}},
				Inputs{VarFiles: []File{{Name: "prod.vars.hcl", Src: []byte(content)}}})
			if !diags.HasErrors() {
				t.Fatal("no error for a broken variable file")
			}
			d := diags[0]
			if Code(d) != codeSyntax || d.Subject == nil || d.Subject.Filename != "prod.vars.hcl" {
				t.Errorf("got %s %q at %v, want a syntax error in prod.vars.hcl", Code(d), d.Summary, d.Subject)
			}
		})
	}
}

// TestLoadRawValueTooDeep: a value given with --var or FLEET_VAR_ that nests deeper than the
// expression parser can recurse is refused as an invalid value, not parsed.
func TestLoadRawValueTooDeep(t *testing.T) {
	src := []byte("fleet \"prod\" {\n  region = \"ap-guangzhou\"\n}\nvariable \"n\" {\n  type = list(number)\n}\n")
	deep := strings.Repeat("[", maxNesting+1) + strings.Repeat("]", maxNesting+1)
	for name, in := range map[string]Inputs{
		"--var":      {Vars: map[string]string{"n": deep}},
		"FLEET_VAR_": {Env: map[string]string{"n": deep}},
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := Load([]File{{Name: "main.fleet.hcl", Src: src}}, in)
			if !diags.HasErrors() || Code(diags[0]) != codeVariableValue || diags[0].Summary != "Invalid value for variable" {
				t.Errorf("got %v, want an invalid value for variable", diags)
			}
		})
	}
}
