package cvm

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"sort"
	"strings"
)

// StringToSign returns the text that signature method v1 signs: the upper-case method, the host
// without scheme or port, the path, "?" and every parameter except Signature as name=value pairs
// joined by "&". Names have "_" replaced by "." and are sorted by byte order; values are raw, not
// URL-encoded.
func StringToSign(method, host, path string, params map[string]string) string {
	type pair struct{ name, value string }
	pairs := make([]pair, 0, len(params))
	for k, v := range params {
		if k == "Signature" {
			continue
		}
		pairs = append(pairs, pair{strings.ReplaceAll(k, "_", "."), v})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].name != pairs[j].name {
			return pairs[i].name < pairs[j].name
		}
		return pairs[i].value < pairs[j].value
	})
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteString(host)
	b.WriteString(path)
	b.WriteByte('?')
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// Sign returns the standard Base64 of the HMAC of stringToSign keyed by secretKey. Only the exact
// signatureMethod "HmacSHA256" selects SHA-256; any other value, including "", selects SHA-1, as
// the API does.
func Sign(stringToSign, secretKey, signatureMethod string) string {
	var h func() hash.Hash = sha1.New
	if signatureMethod == "HmacSHA256" {
		h = sha256.New
	}
	m := hmac.New(h, []byte(secretKey))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
