package planner

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"fleet/internal/secret"
	"fleet/internal/textdiff"
	"fleet/spec"
)

// callParam reports whether a parameter belongs to one call rather than to the group's
// configuration.
func callParam(k string) bool {
	return k == paramGoodsNum || k == paramToken || strings.HasPrefix(k, "privateIpAddresses.")
}

// ConfigText returns the canonical text of a group's configuration: one "name = value" line
// per parameter, sorted by name, secrets masked, call parameters (goodsNum, clientToken,
// privateIpAddresses) left out. Secret values already hashed (secret.HashParams) are kept as
// they are; others are hashed here.
func ConfigText(params map[string]string) string {
	var b strings.Builder
	for _, k := range spec.SortedKeys(params) {
		if callParam(k) {
			continue
		}
		v := params[k]
		if secret.IsParam(k) {
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
	bought = unmarkedParams(bought, desired)
	if sameConfig(bought, desired) {
		return ""
	}
	return textdiff.Unified(group+" (bought)", group+" (desired)", ConfigText(bought), ConfigText(desired))
}

// unmarkedParams returns bought without the marker of its instance name (see MarkName).
func unmarkedParams(bought, desired map[string]string) map[string]string {
	if name, ok := bought[paramName]; ok {
		if un := unmarkedName(name, desired[paramName]); un != name {
			bought = maps.Clone(bought)
			bought[paramName] = un
		}
	}
	return bought
}

// boughtConfig is one configuration a group's live instances were bought with.
type boughtConfig struct {
	params map[string]string
	seqs   []int    // the calls that bought with it
	ids    []string // their instances not gone
}

// boughtDrift compares the desired configuration with every configuration the group's live
// instances were bought with (h.bought). It returns the diffs of those that differ, one after
// the other, and the ids of the instances bought with them. With one configuration bought,
// the diff is ConfigDiff's; with several, each diff names the calls that bought it.
func boughtDrift(group string, h history, desired map[string]string, former []string) (string, []string) {
	var configs []*boughtConfig
	byText := map[string]*boughtConfig{}
	for _, b := range h.bought {
		params := unmarkedParams(renamedParams(b.Params, desired, former), desired)
		text := ConfigText(params)
		c := byText[text]
		if c == nil {
			c = &boughtConfig{params: params}
			byText[text] = c
			configs = append(configs, c)
		}
		c.seqs = append(c.seqs, b.Seq)
		c.ids = append(c.ids, h.liveByBatch[b.Seq]...)
	}
	var diff strings.Builder
	var ids []string
	for _, c := range configs {
		if sameConfig(c.params, desired) {
			continue
		}
		from := group + " (bought)"
		if len(configs) > 1 {
			from = group + " (bought by " + callList(c.seqs) + ")"
		}
		diff.WriteString(textdiff.Unified(from, group+" (desired)", ConfigText(c.params), ConfigText(desired)))
		ids = append(ids, c.ids...)
	}
	slices.Sort(ids)
	return diff.String(), ids
}

// callList names calls by seq: "call 0", "calls 0, 2".
func callList(seqs []int) string {
	parts := make([]string, len(seqs))
	for i, s := range seqs {
		parts[i] = strconv.Itoa(s)
	}
	if len(seqs) == 1 {
		return "call " + parts[0]
	}
	return "calls " + strings.Join(parts, ", ")
}

// maxListedIDs is the most instance ids a diagnostic names; JSON has them all.
const maxListedIDs = 10

// idList returns " (ins-1, ins-2)" for a diagnostic, at most maxListedIDs of them and how
// many more; "" for none.
func idList(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	if len(ids) <= maxListedIDs {
		return " (" + strings.Join(ids, ", ") + ")"
	}
	return " (" + strings.Join(ids[:maxListedIDs], ", ") + " and " + strconv.Itoa(len(ids)-maxListedIDs) + " more)"
}

// driftedWhat says which instances keep an old configuration: "its instances", "2 of its 3
// instances".
func driftedWhat(drifted []string, current int) string {
	if len(drifted) == 0 || len(drifted) >= current {
		return "its instances"
	}
	return strconv.Itoa(len(drifted)) + " of its " + countWord(current, "instance")
}

// configOnly returns the configuration parameters of p: call parameters left out.
func configOnly(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		if !callParam(k) {
			out[k] = v
		}
	}
	return out
}

// maskOnce hashes a secret value unless it is a hash already (secret.IsHash).
func maskOnce(v string) string {
	if secret.IsHash(v) {
		return v
	}
	return secret.Hash(v)
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
		if v != w && !(secret.IsParam(k) && maskedEqual(v, w)) {
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
