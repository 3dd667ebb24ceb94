package spec

import (
	"strings"
	"testing"
)

// TestHashSecret pins the derivation of recorded secrets: PBKDF2-HMAC-SHA256 of the value with
// the salt "fleet-secret-v1" and 100,000 iterations (the value below was computed with another
// implementation of PBKDF2). A change would change every client token and make every saved
// plan and recorded batch look changed, so it must be deliberate.
func TestHashSecret(t *testing.T) {
	const want = "sha256:825a5376b3e42b3cb82d0b2b5cca67d0f54911cfc5d913ee9150c7a3422e7c9c"
	if got := HashSecret("Secret-pass1"); got != want {
		t.Errorf("HashSecret(Secret-pass1) = %s, want %s", got, want)
	}
	if got := HashSecret("Secret-pass1"); got != want {
		t.Errorf("HashSecret is not stable when remembered: %s", got)
	}
	other := HashSecret("Secret-pass2")
	if other == want || !strings.HasPrefix(other, "sha256:") || len(other) != len(want) {
		t.Errorf("HashSecret(Secret-pass2) = %s: want another hash of the same form", other)
	}
}

// TestMaskParams: secrets are replaced by their hash, other parameters are kept.
func TestMaskParams(t *testing.T) {
	p := MaskParams(map[string]string{"password": "Secret-pass1", "cpu": "2"})
	if p["password"] != HashSecret("Secret-pass1") || p["cpu"] != "2" {
		t.Errorf("MaskParams = %v", p)
	}
}
