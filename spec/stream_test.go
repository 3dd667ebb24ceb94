package spec

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

// kinds describes the pieces of splitFile: "g" for a piece of groups, "o" for one of other
// items; "-" when the text is not split.
func kinds(src string) string {
	pieces, ok := splitFile([]byte(src))
	if !ok {
		return "-"
	}
	var b strings.Builder
	for _, p := range pieces {
		if p.groups {
			b.WriteString("g")
		} else {
			b.WriteString("o")
		}
	}
	return b.String()
}

func TestSplitFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want string
	}{
		{"empty", "", "g"},
		{"groups", "group \"a\" {\n  count = 1\n}\n\ngroup \"b\" {\n  count = 2\n}\n", "g"},
		{"one line", "group \"a\" { count = 1 }\n", "g"},
		{"unquoted label", "group a {\n  count = 1\n}\n", "g"},
		{"comments", "# a comment\n// another\n/* fleet \"x\" {} */\ngroup \"a\" {\n  # variable \"x\" {}\n  count = 1\n}\n", "g"},
		{"braces in strings", "group \"a\" {\n  instance_name = \"}\\nvariable {\"\n  image_id = \"${lower(\"}\")}\"\n}\n", "g"},
		{"escaped interpolation", "group \"a\" {\n  instance_name = \"$${x}}\"\n}\n", "g"},
		{"object and heredoc", "group \"a\" {\n  for_each = { a = 1, b = \"}\" }\n  instance_name = <<EOT\n}\nvariable \"x\" {}\nEOT\n}\n", "g"},
		{"indented", "  group \"a\" {}\n\tgroup \"c\" {\n}\n", "g"},
		{"fleet block first", "fleet \"x\" { region = \"gz\" }\ngroup \"a\" { count = 1 }\n", "og"},
		{"variable after groups", "group \"a\" { count = 1 }\nvariable \"x\" {}\n", "go"},
		{"header in the middle", "group \"a\" {}\nlocals {\n  a = 1\n}\nx = <<EOT\n}\nEOT\ngroup \"b\" {}\n", "gog"},
		{"only other items", "locals {\n  a = 1\n}\n", "o"},
		{"longer word", "groups \"a\" {}\ngroup \"b\" {}\n", "og"},
		{"group attribute", "group = 1\n", "-"},
		{"kinds on one line", "group \"a\" {}\n/* c */ locals {}\n", "-"},
		{"unclosed block", "group \"a\" {\n  count = 1\n", "-"},
		{"stray brace", "}\ngroup \"a\" {}\n", "-"},
		{"unclosed comment", "group \"a\" {}\n/* variable \"x\" {}\n", "-"},
		{"string over lines", "group \"a\" {\n  x = \"a\n}\nvariable \"v\" {}\n", "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kinds(tc.src); got != tc.want {
				t.Fatalf("pieces %q, want %q for:\n%s", got, tc.want, tc.src)
			}
		})
	}
}

// loadPlain loads files the plain way: every file parsed before any group is evaluated.
func loadPlain(files []File, in Inputs) *Fleet {
	l, _ := load(files, in, nil, nil)
	l.finish(files)
	return l.fleet
}

// sameFleet fails the test when two loads of the same files differ in anything but the
// identity of their diagnostics.
func sameFleet(t *testing.T, want, got *Fleet) {
	t.Helper()
	describe := func(diags hcl.Diagnostics) []string {
		var out []string
		for _, d := range diags {
			out = append(out, fmt.Sprintf("%s %v %d | %s | %s", Code(d), d.Subject, d.Severity, d.Summary, d.Detail))
		}
		return out
	}
	if d := cmp.Diff(describe(want.Diags), describe(got.Diags)); d != "" {
		t.Fatalf("diagnostics differ (-plain +streamed):\n%s", d)
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(Fleet{}, "Diags"), cmpopts.IgnoreFields(Group{}, "Diags")); d != "" {
		t.Fatalf("fleets differ (-plain +streamed):\n%s", d)
	}
	for i, g := range want.Groups {
		if d := cmp.Diff(describe(g.Diags), describe(got.Groups[i].Diags)); d != "" {
			t.Fatalf("group %s: diagnostics differ (-plain +streamed):\n%s", g.Name, d)
		}
	}
}

// TestLoadStreamedSameAsPlain checks that parsing the files of groups last, each with the
// evaluation of its groups, gives exactly what parsing every file first gives: groups,
// configurations, ranges and every diagnostic in the same order.
func TestLoadStreamedSameAsPlain(t *testing.T) {
	header := `fleet "prod" { region = "ap-guangzhou" }
variable "zone" {
  type    = number
  default = 100003
}
variable "pw" {
  type      = string
  sensitive = true
  default   = "Secret-Passw0rd"
}
locals {
  image = "img-lkxqa4kj"
}
defaults {
  cpu      = 2
  mem      = 4
  image_id = local.image
  period   = 12
  zone_id  = var.zone
}
`
	var a, b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&a, "group \"a%02d\" {\n  count = %d\n}\n\n", i, 1+i%5)
		fmt.Fprintf(&b, "group \"b%02d\" {\n  count = %d\n  cpu = %d\n  instance_name = \"web-${%d}\"\n}\n\n", i, 1+i%3, 1+i%4, i)
	}
	for _, tc := range []struct {
		name  string
		files []File
	}{
		{"clean", ldFiles("main.fleet.hcl", header, "a.fleet.hcl", a.String(), "b.fleet.hcl", b.String())},
		{"groups before the header", ldFiles("a.fleet.hcl", a.String(), "b.fleet.hcl", b.String(), "main.fleet.hcl", header)},
		{"errors in group files", ldFiles("main.fleet.hcl", header,
			"a.fleet.hcl", a.String()+"group \"bad\" {\n  count = \"x\"\n  bandwith = 1\n  password = var.pw\n  os = \"windows\"\n}\n",
			"b.fleet.hcl", b.String()+"group \"a00\" {\n  count = 1\n}\ngroup \"ip\" {\n  count = 1\n  private_ips = [\"10.0.0.1\"]\n}\n",
			"c.fleet.hcl", "group \"ip2\" {\n  count = 1\n  private_ips = [\"10.0.0.1\"]\n  vpc_id = \"vpc-1\"\n}\ngroup \"fe\" {\n  for_each = { x = 1, y = 2, \"b d\" = 3 }\n  count = each.value\n  cpu = var.nope\n}\n")},
		{"no fleet block", ldFiles("a.fleet.hcl", a.String(), "b.fleet.hcl", b.String())},
		{"json beside", ldFiles("main.fleet.hcl", header, "a.fleet.hcl", a.String(), "c.fleet.json", `{"group": {"c": {"count": 1.5}}}`)},
		{"syntax error in a group file", ldFiles("main.fleet.hcl", header, "a.fleet.hcl", a.String(), "d.fleet.hcl", "group \"d\" {\n  count = \n}\n")},
		{"broken file beside", ldFiles("main.fleet.hcl", header, "a.fleet.hcl", a.String(), "c.fleet.json", `{"group": {"c": {"count": `, "d.fleet.hcl", "locals {\n  y = \n}\n")},
		{"one file", ldFiles("main.fleet.hcl", header+a.String()+b.String())},
		{"header between groups", ldFiles("main.fleet.hcl", a.String()+header+b.String(), "c.fleet.hcl", "# nothing\n")},
		{"syntax error in the header", ldFiles("main.fleet.hcl", header+"locals {\n  x = \n}\n"+a.String())},
		{"moved and removed between groups", ldFiles("main.fleet.hcl", header, "a.fleet.hcl", a.String()+"moved {\n  from = \"old\"\n  to   = \"a00\"\n}\n\n"+b.String()+
			"removed {\n  from  = \"gone\"\n  lapse = false\n}\n\nmoved {\n  from = \"x\"\n  to   = \"nope[k]\"\n}\n", "m.fleet.hcl", "moved {\n  from = \"b00\"\n  to   = \"b01\"\n}\n")},
		{"broken defaults", ldFiles("main.fleet.hcl", strings.Replace(header, "cpu      = 2", "cpu      = \"two\"", 1), "a.fleet.hcl", a.String())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			streamed := false
			for _, f := range tc.files {
				_, ok := streamable(f)
				streamed = streamed || ok
			}
			if !streamed {
				t.Fatal("no file is streamed")
			}
			want := loadPlain(tc.files, Inputs{})
			for _, chunk := range []int{streamChunk, 300, 1} {
				defer func(old int) { streamChunk = old }(streamChunk)
				streamChunk = chunk
				got, _ := Load(tc.files, Inputs{})
				sameFleet(t, want, got)
			}
		})
	}
}

// TestLoadStreamedWrongGuess checks that a piece wrongly taken to hold only groups (it holds
// a variable, or has a syntax error) or only other items (it holds a group) makes the
// streamed load give up, and that Load gives what the plain load gives.
func TestLoadStreamedWrongGuess(t *testing.T) {
	files := ldFiles(
		"main.fleet.hcl", ldHeader+"group \"m\" {\n  count = var.n\n}\n",
		"a.fleet.hcl", "group \"a\" {\n  count = var.n\n}\n",
		"v.fleet.hcl", "group \"v\" {\n  count = 1\n}\nvariable \"n\" {\n  default = 2\n}\n",
		"s.fleet.hcl", "group \"s\" {\n  count = \n}\n",
	)
	whole := func(i int, groups bool) []piece {
		return []piece{{end: len(files[i].Src), pos: hcl.InitialPos, groups: groups}}
	}
	for _, tc := range []struct {
		later  []int
		pieces [][]piece
	}{
		{[]int{1, 2}, [][]piece{nil, whole(1, true), whole(2, true), nil}},
		{[]int{3, 1}, [][]piece{nil, whole(1, true), nil, whole(3, true)}},
		{[]int{0}, [][]piece{whole(0, false), nil, nil, nil}},
	} {
		if _, ok := load(files, Inputs{}, tc.later, tc.pieces); ok {
			t.Fatalf("load with files %v streamed did not give up", tc.later)
		}
	}
	if _, ok := load(files[:2], Inputs{}, []int{1}, [][]piece{nil, whole(1, true)}); !ok {
		t.Fatal("load gave up on a file of groups only")
	}
	got, diags := Load(files, Inputs{})
	sameFleet(t, loadPlain(files, Inputs{}), got)
	if n := ldGroup(t, got, "a").Count; n != 2 {
		t.Fatalf("group a: count %d, want 2 from the variable declared in v.fleet.hcl (%v)", n, ldDiags(diags))
	}
}

// TestSplitFileCuts checks where a run of groups is cut: at the start of a block that only
// blanks precede on its line, once a piece holds streamChunk bytes, with the position of
// the piece's start.
func TestSplitFileCuts(t *testing.T) {
	defer func(old int) { streamChunk = old }(streamChunk)
	streamChunk = 1
	src := "group \"a\" {}\n  group \"b\" {\n}\n/* c */ group \"c\" {}\ngroup \"d\" { x = \"group\" }\n"
	pieces, ok := splitFile([]byte(src))
	if !ok {
		t.Fatal("splitFile = false")
	}
	var got []string
	for _, p := range pieces {
		got = append(got, fmt.Sprintf("%d:%d %q", p.pos.Line, p.pos.Column, src[p.start:p.end]))
	}
	want := []string{"1:1 \"group \\\"a\\\" {}\\n  \"", "2:3 \"group \\\"b\\\" {\\n}\\n/* c */ group \\\"c\\\" {}\\n\"", "5:1 \"group \\\"d\\\" { x = \\\"group\\\" }\\n\""}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("pieces (-want +got):\n%s", d)
	}
}

// FuzzLoadStreamed holds the streamed load to the plain one: for any text, cut into pieces
// of a few bytes, Load gives what parsing the whole file first gives. Its seeds are those of
// FuzzLoad (testdata/fuzz/FuzzLoad) and the cases above.
func FuzzLoadStreamed(f *testing.F) {
	defer func(old int) { streamChunk = old }(streamChunk)
	streamChunk = 16
	f.Add([]byte(ldHeader+"group \"a\" {\n  count = 1\n}\ngroup \"b\" {\n  count = 2\n}\n"), []byte("group \"c\" {\n  count = var.n\n}\nvariable \"n\" {\n  default = 3\n}\n"), "1")
	f.Add([]byte(ldHeader+"group \"a\" {\n  count = 1\n}\nmoved {\n  from = \"z\"\n  to   = \"a\"\n}\ngroup \"b\" {\n  count = 2\n}\n"), []byte("removed {\n  from  = \"q\"\n  lapse = var.v\n}\n"), "true")
	f.Fuzz(func(t *testing.T, src, other []byte, value string) {
		in := Inputs{Vars: map[string]string{"v": value}}
		files := []File{{Name: "a.fleet.hcl", Src: src}, {Name: "b.fleet.hcl", Src: other}}
		got, _ := Load(files, in)
		sameFleet(t, loadPlain(files, in), got)
	})
}
