package planner

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"

	"fleet/spec"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// callParam reports whether a parameter belongs to one call rather than to the group's
// configuration.
func callParam(k string) bool {
	return k == paramGoodsNum || k == paramToken || strings.HasPrefix(k, "privateIpAddresses.")
}

// ConfigText returns the canonical text of a group's configuration: one "name = value" line
// per parameter, sorted by name, secrets masked, call parameters (goodsNum, clientToken,
// privateIpAddresses) left out. Secret values already masked by spec.MaskParams are kept as
// they are; others are masked here.
func ConfigText(params map[string]string) string {
	var b strings.Builder
	for _, k := range spec.SortedKeys(params) {
		if callParam(k) {
			continue
		}
		v := params[k]
		if spec.SecretParams[k] {
			v = maskOnce(v)
		}
		b.WriteString(k)
		b.WriteString(" = ")
		b.WriteString(v)
		b.WriteByte('\n')
	}
	return b.String()
}

// ConfigDiff returns the unified diff of the configuration a group's instances were bought
// with (bought, as recorded in the state) against the desired one, or "" when they are
// equal. Secrets are compared and shown masked. The marker of the bought instance name
// (see MarkName) is no change of configuration and is left out.
func ConfigDiff(group string, bought, desired map[string]string) string {
	if name, ok := bought[paramName]; ok {
		if un := unmarkedName(name, desired[paramName]); un != name {
			bought = copyMap(bought)
			bought[paramName] = un
		}
	}
	if sameConfig(bought, desired) {
		return ""
	}
	return unifiedDiff(group+" (bought)", group+" (desired)", ConfigText(bought), ConfigText(desired))
}

// isMasked reports whether v has the form of spec.HashSecret's result. No accepted secret
// has that form: passwords are at most 16 characters.
func isMasked(v string) bool {
	h, ok := strings.CutPrefix(v, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// maskOnce masks a secret value unless it is masked already.
func maskOnce(v string) string {
	if isMasked(v) {
		return v
	}
	return spec.HashSecret(v)
}

// sameConfig reports whether two parameter maps describe the same configuration, call
// parameters aside. It avoids building texts for the common case of no change.
func sameConfig(a, b map[string]string) bool {
	n := 0
	for k, v := range a {
		if callParam(k) {
			continue
		}
		n++
		w, ok := b[k]
		if !ok {
			return false
		}
		if v != w && !(spec.SecretParams[k] && maskedEqual(v, w)) {
			return false
		}
	}
	for k := range b {
		if !callParam(k) {
			n--
		}
	}
	return n == 0
}

// maskedEqual compares two secret values of which either may be masked.
func maskedEqual(a, b string) bool { return maskOnce(a) == maskOnce(b) }

// unifiedDiff renders the line diff of a and b as unified hunks ("---", "+++", "@@ ... @@").
func unifiedDiff(nameA, nameB, a, b string) string {
	dmp := diffmatchpatch.New()
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)

	type line struct {
		op   diffmatchpatch.Operation
		text string
	}
	var all []line
	for _, d := range diffs {
		for _, l := range strings.SplitAfter(d.Text, "\n") {
			if l != "" {
				all = append(all, line{d.Type, strings.TrimSuffix(l, "\n")})
			}
		}
	}

	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	// Walk the lines, cutting hunks around changes with diffContext lines of context.
	i := 0
	lineA, lineB := 1, 1 // line numbers of all[i] in a and b
	for i < len(all) {
		if all[i].op == diffmatchpatch.DiffEqual {
			lineA++
			lineB++
			i++
			continue
		}
		start := max(0, i-diffContext)
		// Find the end of the hunk: the last change followed by more than 2*context equal lines.
		end := i
		for j := i; j < len(all); j++ {
			if all[j].op != diffmatchpatch.DiffEqual {
				end = j
				continue
			}
			if j-end > 2*diffContext {
				break
			}
		}
		stop := min(len(all), end+diffContext+1)
		startA, startB := lineA-(i-start), lineB-(i-start)
		var body strings.Builder
		nA, nB := 0, 0
		for _, l := range all[start:stop] {
			switch l.op {
			case diffmatchpatch.DiffEqual:
				body.WriteString(" " + l.text + "\n")
				nA++
				nB++
			case diffmatchpatch.DiffDelete:
				body.WriteString("-" + l.text + "\n")
				nA++
			case diffmatchpatch.DiffInsert:
				body.WriteString("+" + l.text + "\n")
				nB++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(startA, nA), hunkRange(startB, nB))
		out.WriteString(body.String())
		// Advance line counters over the lines consumed from i to stop.
		for _, l := range all[i:stop] {
			if l.op != diffmatchpatch.DiffInsert {
				lineA++
			}
			if l.op != diffmatchpatch.DiffDelete {
				lineB++
			}
		}
		i = stop
	}
	return out.String()
}

// hunkRange formats the start,count of a hunk header as diff does: an empty range starts at
// the line before it.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
