package secret

import (
	"strings"
	"testing"
)

// TestHash pins the derivation of recorded secrets: PBKDF2-HMAC-SHA256 of the value with the
// salt "fleet-secret-v1" and 100,000 iterations (the value below was computed with another
// implementation of PBKDF2). A change would change every client token and make every saved
// plan and recorded batch look changed, so it must be deliberate.
func TestHash(t *testing.T) {
	const want = "sha256:825a5376b3e42b3cb82d0b2b5cca67d0f54911cfc5d913ee9150c7a3422e7c9c"
	if got := Hash("Secret-pass1"); got != want {
		t.Errorf("Hash(Secret-pass1) = %s, want %s", got, want)
	}
	if got := Hash("Secret-pass1"); got != want {
		t.Errorf("Hash is not stable when remembered: %s", got)
	}
	other := Hash("Secret-pass2")
	if other == want || !IsHash(other) {
		t.Errorf("Hash(Secret-pass2) = %s: want another hash of the same form", other)
	}
}

func TestIsHash(t *testing.T) {
	const hex = "825a5376b3e42b3cb82d0b2b5cca67d0f54911cfc5d913ee9150c7a3422e7c9c"
	tests := []struct {
		s    string
		want bool
	}{
		{"sha256:" + hex, true},
		{"sha256:" + strings.ToUpper(hex), false}, // Hash writes lower case only
		{"sha256:" + hex[:63] + "C", false},
		{"sha256:" + hex[:63], false},
		{"sha256:" + hex + "0", false},
		{"sha256:" + hex[:63] + "g", false},
		{"SHA256:" + hex, false},
		{hex, false},
		{"", false},
		{"Secret-pass1", false},
	}
	for _, tt := range tests {
		if got := IsHash(tt.s); got != tt.want {
			t.Errorf("IsHash(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestParams(t *testing.T) {
	if got := Params(); len(got) != 1 || got[0] != "password" {
		t.Errorf("Params() = %v, want [password]", got)
	}
	Params()[0] = "changed"
	if !IsParam("password") || IsParam("changed") || IsParam("keyId") || IsParam("Password") {
		t.Errorf("IsParam: the set of secret parameters is not {password}")
	}
}

func TestValues(t *testing.T) {
	if got := Values(map[string]string{"password": "Pw-1234567", "cpu": "2"}); len(got) != 1 || got[0] != "Pw-1234567" {
		t.Errorf("Values = %q, want the password only", got)
	}
	if got := Values(map[string]string{"password": "", "cpu": "2"}); len(got) != 0 {
		t.Errorf("Values = %q, want none for an empty password", got)
	}
}

func TestHashParams(t *testing.T) {
	in := map[string]string{"password": "Secret-pass1", "cpu": "2"}
	p := HashParams(in)
	if p["password"] != Hash("Secret-pass1") || p["cpu"] != "2" || len(p) != 2 {
		t.Errorf("HashParams = %v", p)
	}
	if in["password"] != "Secret-pass1" {
		t.Errorf("HashParams changed its argument: %v", in)
	}
}
