package state

import (
	"strings"
	"testing"

	"fleet/internal/secret"
)

// TestValidateSecretForms: a secret parameter is recorded only in the one form secret.Hash
// writes; an upper-case spelling of a hash is refused like a secret in clear.
func TestValidateSecretForms(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"hash", hashedPassword, true},
		{"hash of a value", secret.Hash("Zq7#Secret-Pw9"), true},
		{"upper-case hash", "sha256:" + strings.ToUpper(strings.TrimPrefix(hashedPassword, "sha256:")), false},
		{"clear", "Zq7#Secret-Pw9", false},
		{"form-encoded", "Zq7%23Secret-Pw9", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := sampleState()
			st.Groups["web"].Batches[0].Params["password"] = tc.value
			err := st.Validate()
			if tc.ok && err != nil {
				t.Fatalf("Validate refused %q: %v", tc.value, err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "parameter password holds a secret in clear")) {
				t.Fatalf("Validate of %q = %v, want a secret in clear refused", tc.value, err)
			}
		})
	}
}
