package planner

import (
	"encoding/hex"
	"maps"
	"strings"

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
			bought = maps.Clone(bought)
			bought[paramName] = un
		}
	}
	if sameConfig(bought, desired) {
		return ""
	}
	return textdiff.Unified(group+" (bought)", group+" (desired)", ConfigText(bought), ConfigText(desired))
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
