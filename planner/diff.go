package planner

import (
	"maps"
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
	if name, ok := bought[paramName]; ok {
		if un := unmarkedName(name, desired[paramName]); un != name {
			bought = maps.Clone(bought)
			bought[paramName] = un
		}
	}
	if sameConfig(bought, desired) {
		return ""
	}
	return textdiff.Unified(group+" (bought)", group+" (desired)", ConfigText(bought), ConfigText(desired))
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
