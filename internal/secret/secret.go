package secret

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
)

// paramNames are the request parameters whose values are secrets, by API name, sorted.
var paramNames = []string{"password"}

// Params returns the names of the request parameters whose values are secrets, sorted.
func Params() []string { return slices.Clone(paramNames) }

// IsParam reports whether the request parameter name holds a secret.
func IsParam(name string) bool { return slices.Contains(paramNames, name) }

// Values returns the non-empty values of the secret parameters among p, in the order of
// Params.
func Values(p map[string]string) []string {
	var out []string
	for _, k := range paramNames {
		if v := p[k]; v != "" {
			out = append(out, v)
		}
	}
	return out
}

// HashParams returns a copy of p in which the value of every secret parameter is replaced by
// its Hash.
func HashParams(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		if IsParam(k) {
			v = Hash(v)
		}
		out[k] = v
	}
	return out
}

// Plans, state and their renderings (a pull-request comment, a CI artifact) carry secrets as
// a hash, and the hash must be the same everywhere so that tokens and plans are
// deterministic: it cannot have a random salt. A deliberately slow derivation
// (PBKDF2-HMAC-SHA256) makes guessing a weak password from its hash costly instead.
const (
	hashPrefix = "sha256:"
	salt       = "fleet-secret-v1"
	iterations = 100_000
	memoMax    = 4096 // distinct secrets remembered by one process
)

var (
	memoMu sync.Mutex
	memo   = map[string]string{}
)

// Hash returns the form in which a secret may be recorded: "sha256:" and the lower-case hex
// of a PBKDF2-HMAC-SHA256 derivation of it (fixed salt, 100,000 iterations). The derivation
// is slow on purpose; results are remembered, so a secret shared by many groups costs it
// once.
func Hash(value string) string {
	memoMu.Lock()
	h, ok := memo[value]
	memoMu.Unlock()
	if ok {
		return h
	}
	key, err := pbkdf2.Key(sha256.New, value, []byte(salt), iterations, sha256.Size)
	if err != nil {
		// Only a FIPS 140-only runtime refuses these parameters (a password shorter than
		// it accepts): fall back to a salted digest rather than fail.
		sum := sha256.Sum256([]byte(salt + "\x00" + value))
		key = sum[:]
	}
	h = hashPrefix + hex.EncodeToString(key)
	memoMu.Lock()
	if len(memo) < memoMax {
		memo[value] = h
	}
	memoMu.Unlock()
	return h
}

// IsHash reports whether s has the form of Hash's result: "sha256:" and 64 lower-case
// hexadecimal digits. No secret the API accepts has that form: passwords are at most 16
// characters.
func IsHash(s string) bool {
	h, ok := strings.CutPrefix(s, hashPrefix)
	if !ok || len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
