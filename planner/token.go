package planner

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"hash"
	"strconv"
	"strings"

	"fleet/spec"
)

// Token limits: a client token is at most MaxTokenLen characters of [a-z0-9-].
const (
	MaxTokenLen    = 64
	tokenPrefixLen = 16 // characters of the group name kept in the readable prefix
	tokenHashLen   = 26 // base32 characters of the hash: 130 bits
)

// tokenEncoding is lower-case base32 without padding, so tokens stay within [a-z0-9-].
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token returns the clientToken of a RunInstances call: a pure function of the fleet name,
// region, project, group name, the batch's seq in the group's history and the call's
// parameters (secrets already hashed by secret.HashParams; a clientToken entry is ignored).
//
// The token is a readable prefix (the group name and the seq) followed by a hash of an
// unambiguous encoding of every input, so that any change of any input gives another token.
// It has at most MaxTokenLen characters, all of [a-z0-9-].
func Token(fleet, region string, project int, group string, seq int, params map[string]string) string {
	var h callHasher
	h.start("fleet-token-v1", fleet, region, project, group, seq)
	keys := spec.SortedKeys(params)
	n := 0
	for _, k := range keys {
		if k != paramToken {
			n++
		}
	}
	h.field(strconv.Itoa(n))
	for _, k := range keys {
		if k == paramToken {
			continue
		}
		h.field(k)
		h.field(params[k])
	}
	return tokenSlug(group) + "-" + strconv.FormatInt(int64(seq), 10) + "-" + h.sum(tokenHashLen)
}

// callHasher hashes a sequence of fields, each preceded by its length, so that two different
// sequences never give the hash the same bytes. Tokens and markers are both made with it.
type callHasher struct {
	h   hash.Hash
	buf []byte
}

// start begins a hash with a domain, which keeps hashes made for different purposes apart,
// and the identity of a call: fleet, region, project, group and seq.
func (c *callHasher) start(domain, fleet, region string, project int, group string, seq int) {
	c.h = sha256.New()
	c.field(domain)
	c.field(fleet)
	c.field(region)
	c.field(strconv.Itoa(project))
	c.field(group)
	c.field(strconv.Itoa(seq))
}

// field adds one field to the hash.
func (c *callHasher) field(s string) {
	c.buf = binary.AppendUvarint(c.buf[:0], uint64(len(s)))
	c.buf = append(c.buf, s...)
	c.h.Write(c.buf)
}

// sum returns the first n characters of the hash in tokenEncoding.
func (c *callHasher) sum(n int) string {
	return tokenEncoding.EncodeToString(c.h.Sum(nil))[:n]
}

// tokenSlug reduces a group name to at most tokenPrefixLen characters of [a-z0-9-] for the
// readable part of a token; the hash carries the exact name.
func tokenSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if b.Len() >= tokenPrefixLen {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		return "g"
	}
	return s
}

// ValidToken reports whether s has the form of a client token: 1 to MaxTokenLen characters
// of [a-z0-9-].
func ValidToken(s string) bool {
	if len(s) == 0 || len(s) > MaxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
