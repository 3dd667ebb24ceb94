package diagview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"fleet/internal/golden"
	"fleet/spec"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

const webSrc = `fleet "prod" {
  region = "gz"
}

group "web" {
  count  = 3
  period = 48
	image_id = "img-UPPER"
  instance_name = "网站-web"
  private_ips = [
    "10.0.0.1",
    "10.0.0.1",
  ]
  password = "p,a:s%s"
}
`

func rng(file string, sl, sc, sb, el, ec, eb int) *hcl.Range {
	return &hcl.Range{Filename: file, Start: hcl.Pos{Line: sl, Column: sc, Byte: sb}, End: hcl.Pos{Line: el, Column: ec, Byte: eb}}
}

// fixture returns diagnostics of every shape the renderings must handle, all on webSrc.
func fixture() (hcl.Diagnostics, map[string][]byte) {
	src := []byte(webSrc)
	at := func(line int, sub string) *hcl.Range {
		// Locates sub on line (1-based) of webSrc.
		off := 0
		for i := 1; i < line; i++ {
			off += bytes.IndexByte(src[off:], '\n') + 1
		}
		end := off + bytes.IndexByte(src[off:], '\n')
		i := bytes.Index(src[off:end], []byte(sub))
		if i < 0 {
			panic("fixture: " + sub + " not on its line")
		}
		col := 1 + len([]rune(string(src[off:off+i])))
		return rng("web.fleet.hcl", line, col, off+i, line, col+len([]rune(sub)), off+i+len(sub))
	}
	multi := *at(10, "[")
	multi.End = at(13, "]").End
	diags := hcl.Diagnostics{
		spec.WithCode("period-range", &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Period out of range",
			Detail:   "The period is the number of months an instance is bought for, a whole number from 1 to 36. Set period to at most 36; buy again when it ends.",
			Subject:  at(7, "48"),
		}),
		spec.WithCode("image-id-format", &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid image ID",
			Detail:   "An image ID is \"img-\" followed by 8 lowercase letters or digits.\nCopy it from the console's image list.",
			Subject:  at(8, `"img-UPPER"`),
		}),
		spec.WithCode("instance-name-length", &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Wide name",
			Detail:   "The marker must sit under wide characters.",
			Subject:  at(9, "web\""),
		}),
		spec.WithCode("private-ip-count", &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Private IPs do not match count",
			Detail:   "Give as many private IPs as count.",
			Subject:  &multi,
		}),
		spec.WithCode("password-literal", &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Password written in the spec\nas a literal, 100% visible",
			Detail:   "Anyone who reads the repository reads the password. Use a sensitive variable.",
			Subject:  at(14, `"p,a:s%s"`),
		}),
		spec.WithCode("fleet-block", &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No source for this file",
			Detail:   "The file is not among the sources, so only its location is shown.",
			Subject:  rng("other.fleet.hcl", 2, 3, 20, 2, 9, 26),
		}),
		{
			Severity: hcl.DiagError,
			Summary:  "A diagnostic without a code or a range",
			Detail:   "",
		},
		spec.WithCode("syntax", &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Range beyond the file",
			Subject:  rng("web.fleet.hcl", 400, 1, 9000, 401, 2, 9100),
		}),
	}
	return diags, map[string][]byte{"web.fleet.hcl": src}
}

func TestHumanGolden(t *testing.T) {
	diags, sources := fixture()
	var b bytes.Buffer
	if err := Human(&b, diags, sources, false); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "human.txt", b.Bytes())
	if bytes.Contains(b.Bytes(), []byte("\x1b[")) {
		t.Error("human output without colour contains escape sequences")
	}
}

func TestHumanColor(t *testing.T) {
	diags, sources := fixture()
	var b bytes.Buffer
	if err := Human(&b, diags[:1], sources, true); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "human-color.txt", b.Bytes())
	if !bytes.Contains(b.Bytes(), []byte("\x1b[31;1mError:")) {
		t.Errorf("coloured output has no red Error:\n%q", b.String())
	}
}

func TestHumanMarker(t *testing.T) {
	diags, sources := fixture()
	var b bytes.Buffer
	if err := (&Printer{Sources: sources}).Diagnostic(&b, diags[0]); err != nil {
		t.Fatal(err)
	}
	want := "Error: Period out of range [period-range]\n\n" +
		"  on web.fleet.hcl:7:12\n" +
		"  7 |   period = 48\n" +
		"    |            ^^\n\n" +
		"The period is the number of months an instance is bought for, a whole number\n" +
		"from 1 to 36. Set period to at most 36; buy again when it ends.\n\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("diagnostic (-want +got):\n%s", diff)
	}
}

func TestHumanNothing(t *testing.T) {
	var b bytes.Buffer
	if err := Human(&b, nil, nil, false); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Errorf("Human(nil) wrote %q, want nothing", b.String())
	}
}

func TestCount(t *testing.T) {
	e := &hcl.Diagnostic{Severity: hcl.DiagError}
	w := &hcl.Diagnostic{Severity: hcl.DiagWarning}
	for _, tc := range []struct {
		diags hcl.Diagnostics
		want  string
	}{
		{nil, "No problems found.\n"},
		{hcl.Diagnostics{e}, "1 error, 0 warnings.\n"},
		{hcl.Diagnostics{e, e, w}, "2 errors, 1 warning.\n"},
		{hcl.Diagnostics{w, w}, "0 errors, 2 warnings.\n"},
	} {
		var b bytes.Buffer
		if err := (&Printer{}).Count(&b, tc.diags); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("Count(%d diags) = %q, want %q", len(tc.diags), b.String(), tc.want)
		}
	}
}

func TestJSONGolden(t *testing.T) {
	diags, _ := fixture()
	var b bytes.Buffer
	if err := JSON(&b, diags); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "validate.json", b.Bytes())
	var doc Document
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode own output: %v", err)
	}
	if doc.Valid || doc.ErrorCount != 6 || doc.WarningCount != 2 {
		t.Errorf("valid, errors, warnings = %v, %d, %d; want false, 6, 2", doc.Valid, doc.ErrorCount, doc.WarningCount)
	}
	got := doc.Diagnostics[0]
	want := Diagnostic{Severity: "error", Code: "period-range", Summary: "Period out of range", Detail: got.Detail,
		Range: &Range{Filename: "web.fleet.hcl", Start: Pos{7, 12, 72}, End: Pos{7, 14, 74}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first diagnostic (-want +got):\n%s", diff)
	}
}

func TestJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, nil); err != nil {
		t.Fatal(err)
	}
	want := `{
  "format_version": "1.0",
  "valid": true,
  "error_count": 0,
  "warning_count": 0,
  "diagnostics": []
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("empty document (-want +got):\n%s", diff)
	}
}

func TestJSONWarningsOnlyValid(t *testing.T) {
	doc := NewDocument(hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "w"}})
	if !doc.Valid || doc.WarningCount != 1 {
		t.Errorf("warnings only: valid %v, warnings %d; want true, 1", doc.Valid, doc.WarningCount)
	}
}

func TestGitHubGolden(t *testing.T) {
	diags, _ := fixture()
	var b bytes.Buffer
	if err := GitHub(&b, diags, 0); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "github.txt", b.Bytes())
}

func TestGitHubEscaping(t *testing.T) {
	d := spec.WithCode("a:b,c", &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "100% sure\r\nnext, line: here",
		Subject:  rng("dir,x/a:b%.fleet.hcl", 3, 4, 10, 3, 5, 11),
	})
	got := Annotation("warning", d)
	want := "::warning file=dir%2Cx/a%3Ab%25.fleet.hcl,line=3,col=4,title=a%3Ab%2Cc::100%25 sure%0D%0Anext, line: here"
	if got != want {
		t.Errorf("Annotation:\n got %s\nwant %s", got, want)
	}
	if got := Annotation("error", &hcl.Diagnostic{Summary: "bare"}); got != "::error::bare" {
		t.Errorf("Annotation without range or code = %q, want %q", got, "::error::bare")
	}
}

func TestGitHubLimit(t *testing.T) {
	var diags hcl.Diagnostics
	for i := 0; i < 13; i++ {
		diags = append(diags, spec.WithCode("e", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "err"}))
	}
	for i := 0; i < 11; i++ {
		diags = append(diags, spec.WithCode("w", &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "warn"}))
	}
	var b bytes.Buffer
	if err := GitHub(&b, diags, 10); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	var errs, warns int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "::error "):
			errs++
		case strings.HasPrefix(l, "::warning "):
			warns++
		}
	}
	if errs != 10 || warns != 10 {
		t.Errorf("annotations: %d errors, %d warnings; want 10, 10", errs, warns)
	}
	wantLast := "::notice title=fleet::3 more errors and 1 more warning not annotated; the human output lists them all"
	if last := lines[len(lines)-1]; last != wantLast {
		t.Errorf("last line:\n got %s\nwant %s", last, wantLast)
	}
}

func TestNoPanicOnOddRanges(t *testing.T) {
	src := []byte("a = 1\r\nb = \"\xff\xfe\"\n\tc = 3")
	sources := map[string][]byte{"f": src}
	ranges := []*hcl.Range{
		rng("f", 0, 0, -5, 0, 0, -1),
		rng("f", 2, 1, 1000, 1, 1, 0),
		rng("f", 2, 5, 11, 2, 999, 9999),
		rng("f", 3, 2, 17, 3, 2, 17),
		rng("f", 3, 100, 17, 9, 1, 3),
		rng("f", 1, 1, 0, 3, 5, 21),
	}
	for _, r := range ranges {
		var b bytes.Buffer
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "odd", Subject: r}
		if err := Human(&b, hcl.Diagnostics{d}, sources, true); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "on f:") {
			t.Errorf("range %v: no location in\n%s", r, b.String())
		}
	}
}

func TestHumanHidesSecretLiterals(t *testing.T) {
	for _, tc := range []struct {
		line   string
		hidden bool
	}{
		{`  password = "Sup3r-Secret"`, true},
		{`    "password": "Sup3r-Secret",`, true},
		{`admin_password = "Sup3r-Secret"`, true},
		{`  db_secret_key="Sup3r-Secret"`, true},
		{`  password = <<EOT`, true},
		{`  password = var.admin_password`, false},
		{`  count = 3 # "Sup3r-Secret" is not a secret here`, false},
	} {
		src := []byte("fleet \"x\" {}\n" + tc.line + "\n")
		d := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "s", Subject: rng("f", 2, 3, 16, 2, 8, 21)}
		var b bytes.Buffer
		if err := Human(&b, hcl.Diagnostics{d}, map[string][]byte{"f": src}, false); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if got := strings.Contains(out, "(sensitive value hidden)"); got != tc.hidden {
			t.Errorf("%s: hidden = %v, want %v:\n%s", tc.line, got, tc.hidden, out)
		}
		if tc.hidden && strings.Contains(out, "Sup3r-Secret") {
			t.Errorf("%s: the secret is shown:\n%s", tc.line, out)
		}
	}
}

func TestHumanControlCharacters(t *testing.T) {
	src := []byte("a = \"\x1b[31mred\x07\xff\"\n")
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "bad \x1b[2J char", Detail: "detail \x1b]0;title\x07",
		Subject: rng("f", 1, 5, 4, 1, 6, 5)}
	var b bytes.Buffer
	if err := Human(&b, hcl.Diagnostics{d}, map[string][]byte{"f": src}, false); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") || !utf8.ValidString(b.String()) {
		t.Errorf("output has control characters or invalid UTF-8: %q", b.String())
	}
	if !strings.Contains(b.String(), "  1 | a = \"\uFFFD[31mred\uFFFD\uFFFD\"\n    |     ^\n") {
		t.Errorf("snippet not sanitised as expected:\n%s", b.String())
	}
}

func TestHumanLongLine(t *testing.T) {
	line := strings.Repeat("a", 5000) + "BAD" + strings.Repeat("é", 5000)
	off := strings.Index(line, "BAD")
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "long", Subject: rng("f", 1, off+1, off, 1, off+4, off+3)}
	var b bytes.Buffer
	if err := Human(&b, hcl.Diagnostics{d}, map[string][]byte{"f": []byte(line)}, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	var src, mark string
	for i, l := range lines {
		if strings.HasPrefix(l, "  1 | ") {
			src, mark = l, lines[i+1]
		}
	}
	if len(src) > 300 || !strings.HasPrefix(src, "  1 | …") || !strings.HasSuffix(src, "…") || !utf8.ValidString(src) {
		t.Fatalf("long line not cut to a window: %d bytes: %q", len(src), src)
	}
	col := strings.Index(mark, "^") // in runes too: the marker line is ASCII
	if got := string([]rune(src)[col : col+3]); mark[col:] != "^^^" || got != "BAD" {
		t.Errorf("marker under %q, want under BAD:\n%s\n%s", got, src, mark)
	}
}

func TestGitHubWorkspacePaths(t *testing.T) {
	o := GitHubOptions{Workspace: "/repo", Workdir: "/repo/fleet"}
	for _, tc := range []struct{ name, want string }{
		{"main.fleet.hcl", "fleet/main.fleet.hcl"},
		{"sub/a.fleet.hcl", "fleet/sub/a.fleet.hcl"},
		{"../other/b.fleet.hcl", "other/b.fleet.hcl"},
		{"/repo/c.fleet.hcl", "c.fleet.hcl"},
		{"/elsewhere/d.fleet.hcl", "/elsewhere/d.fleet.hcl"},
		{"../../up.fleet.hcl", "../../up.fleet.hcl"},
	} {
		if got := o.path(tc.name); got != tc.want {
			t.Errorf("path(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := (GitHubOptions{Workdir: "/repo/fleet"}).path("a.fleet.hcl"); got != "a.fleet.hcl" {
		t.Errorf("without a workspace: path = %q, want the name as given", got)
	}
}

func TestGitHubGroupAndDetail(t *testing.T) {
	_, diags := spec.Load([]spec.File{{Name: "main.fleet.hcl", Src: []byte(`fleet "prod" {
  region = "gz"
}
group "web" {
  count         = 1
  cpu           = 2
  mem           = 4
  image_id      = "img-lkxqa4kj"
  instance_type = "CVM.S2"
  period        = 40
}
`)}}, spec.Inputs{})
	var b bytes.Buffer
	left, err := GitHubWith(&b, diags, GitHubOptions{Limit: 10, Workspace: "/w", Workdir: "/w/infra"})
	if err != nil {
		t.Fatal(err)
	}
	want := "::error file=infra/main.fleet.hcl,line=10,col=19,title=period-range::Invalid purchase period (group web)%0A%0A" +
		"The period is 40 months. Prepaid instances are bought for 1 to 36 months; set period within that range.\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if len(left) != 0 {
		t.Errorf("%d left out, want none", len(left))
	}
}

func TestGitHubSummaryOfLeftOut(t *testing.T) {
	var diags hcl.Diagnostics
	for i := range 12 {
		diags = append(diags, spec.WithCode("e", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("err %d", i),
			Subject: rng("/w/x/a.fleet.hcl", i+1, 3, 0, i+1, 4, 1)}))
	}
	diags = append(diags, spec.WithCode("w", &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "warn *1*", Detail: "Do\nthis."}))
	o := GitHubOptions{Limit: 10, Workspace: "/w", Workdir: "/w/x", Summary: "the step summary"}
	var b bytes.Buffer
	left, err := GitHubWith(&b, diags, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "::notice title=fleet::2 more errors not annotated; the step summary lists them\n") {
		t.Errorf("no notice at the end:\n%s", b.String())
	}
	var s bytes.Buffer
	if err := GitHubSummary(&s, "fleet validate", left, o); err != nil {
		t.Fatal(err)
	}
	want := "### fleet validate\n\n" +
		"GitHub shows 10 annotations of each severity; 2 more errors are not annotated:\n\n" +
		"- :x: **Error** `e`: err 10 at `x/a.fleet.hcl:11:3`\n" +
		"- :x: **Error** `e`: err 11 at `x/a.fleet.hcl:12:3`\n\n"
	if diff := cmp.Diff(want, s.String()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	s.Reset()
	if err := GitHubSummary(&s, "x", nil, o); err != nil || s.Len() != 0 {
		t.Errorf("nothing left out: wrote %q, %v; want nothing", s.String(), err)
	}
}
