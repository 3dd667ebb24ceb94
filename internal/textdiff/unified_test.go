package textdiff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnified(t *testing.T) {
	var base []string
	for i := 1; i <= 20; i++ {
		base = append(base, fmt.Sprintf("line%02d", i))
	}
	join := func(ls []string) string { return strings.Join(ls, "\n") + "\n" }
	edit := func(f func([]string)) string {
		l := append([]string(nil), base...)
		f(l)
		return join(l)
	}
	for _, tc := range []struct {
		name string
		a, b string
		want string
	}{
		{"equal", join(base), join(base), ""},
		{
			name: "one change in the middle",
			a:    join(base),
			b:    edit(func(l []string) { l[9] = "changed" }),
			want: "--- a\n+++ b\n@@ -7,7 +7,7 @@\n line07\n line08\n line09\n-line10\n+changed\n line11\n line12\n line13\n",
		},
		{
			name: "insert at the start",
			a:    join(base),
			b:    "new\n" + join(base),
			want: "--- a\n+++ b\n@@ -1,3 +1,4 @@\n+new\n line01\n line02\n line03\n",
		},
		{
			name: "append at the end",
			a:    "x\n",
			b:    "x\ny\n",
			want: "--- a\n+++ b\n@@ -1 +1,2 @@\n x\n+y\n",
		},
		{
			name: "two changes far apart make two hunks",
			a:    join(base),
			b:    edit(func(l []string) { l[1] = "B"; l[18] = "S" }),
			want: "--- a\n+++ b\n@@ -1,5 +1,5 @@\n line01\n-line02\n+B\n line03\n line04\n line05\n" +
				"@@ -16,5 +16,5 @@\n line16\n line17\n line18\n-line19\n+S\n line20\n",
		},
		{
			name: "two changes six lines apart make one hunk",
			a:    join(base),
			b:    edit(func(l []string) { l[4] = "E"; l[11] = "L" }),
			want: "--- a\n+++ b\n@@ -2,14 +2,14 @@\n line02\n line03\n line04\n-line05\n+E\n line06\n line07\n line08\n line09\n line10\n line11\n-line12\n+L\n line13\n line14\n line15\n",
		},
		{
			name: "two changes seven lines apart make two hunks",
			a:    join(base),
			b:    edit(func(l []string) { l[4] = "E"; l[12] = "M" }),
			want: "--- a\n+++ b\n@@ -2,7 +2,7 @@\n line02\n line03\n line04\n-line05\n+E\n line06\n line07\n line08\n" +
				"@@ -10,7 +10,7 @@\n line10\n line11\n line12\n-line13\n+M\n line14\n line15\n line16\n",
		},
		{
			name: "delete the end",
			a:    "x\ny\nz\n",
			b:    "x\n",
			want: "--- a\n+++ b\n@@ -1,3 +1 @@\n x\n-y\n-z\n",
		},
		{
			name: "everything deleted",
			a:    "x\ny\n",
			b:    "",
			want: "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n",
		},
		{
			name: "no newline at the end",
			a:    "x\ny",
			b:    "x\ny\n",
			want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n",
		},
		{
			name: "append after ten lines",
			a:    lines("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"),
			b:    lines("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"),
			want: "--- a\n+++ b\n@@ -8,3 +8,4 @@\n h\n i\n j\n+k\n",
		},
		{
			name: "drop the first line",
			a:    lines("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"),
			b:    lines("b", "c", "d", "e", "f", "g", "h", "i", "j"),
			want: "--- a\n+++ b\n@@ -1,4 +1,3 @@\n-a\n b\n c\n d\n",
		},
		{
			name: "two changes three lines apart make one hunk",
			a:    lines("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"),
			b:    lines("a", "b", "X", "d", "e", "Y", "g", "h", "i", "j"),
			want: "--- a\n+++ b\n@@ -1,9 +1,9 @@\n a\n b\n-c\n+X\n d\n e\n-f\n+Y\n g\n h\n i\n",
		},
		{
			name: "from nothing",
			a:    "",
			b:    lines("b", "c"),
			want: "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+b\n+c\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Unified("a", "b", tc.a, tc.b)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Unified (-want +got):\n%s", diff)
			}
		})
	}
}

// lines joins its arguments as lines, each ending in a newline.
func lines(s ...string) string {
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s, "\n") + "\n"
}
