package state

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// referenceEncoding is the canonical form of s made by encoding/json alone: marshalled,
// decoded into generic maps (whose keys encoding/json sorts) and encoded again, indented.
func referenceEncoding(t testing.TB, s *State) []byte {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncodeMatchesReference holds the state encoder to encoding/json's output with sorted
// keys, on states with awkward strings.
func TestEncodeMatchesReference(t *testing.T) {
	awkward := sampleState()
	b := doneBatch(7, "ins-\"quoted\"", "ins-\\back", "ins-\x01\x1f\b\f\n\r\t", "ins-<html>&", "ins-\u2028\u2029", "ins-日本")
	b.Params["instanceName"] = "名前 \"x\" \u007f é"
	b.Error = &BatchError{Message: "line1\nline2"}
	b.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CST", 8*3600))
	awkward.Groups["weird \"name\"\t"] = &Group{}
	awkward.Apply(JournalRecord{Group: "weird \"name\"\t", Batch: b})
	empty := New("", "")
	empty.Lineage = testLineage
	for name, s := range map[string]*State{"sample": sampleState(), "refreshed": refreshedState(), "awkward": awkward, "empty": empty} {
		t.Run(name, func(t *testing.T) {
			s.normalize()
			got, err := encodeState(s)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceEncoding(t, s)
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("encoding differs from encoding/json's (-want +got):\n%s", d)
			}
		})
	}
}

// TestEncodeInvalidUTF8 checks that invalid UTF-8 is replaced as encoding/json does.
func TestEncodeInvalidUTF8(t *testing.T) {
	e := &encoder{}
	e.str("a\xff\xfeb")
	want, _ := json.Marshal("a\xff\xfeb")
	if string(e.buf) != string(want) {
		t.Errorf("got %s, want %s", e.buf, want)
	}
}

func TestEncodeBadTime(t *testing.T) {
	s := sampleState()
	s.Groups["web"].Batches[0].CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := encodeState(s); err == nil {
		t.Errorf("a time past year 9999 was encoded")
	}
}
