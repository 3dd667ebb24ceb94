package state

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// markedState is sampleState with markers recorded by some batches.
func markedState() *State {
	s := sampleState()
	s.Groups["web"].Batches[0].Marker = "fl-abcdef-ghijklmnop"
	s.Groups["web"].Batches[2].Marker = "fl-abcdefghij"
	s.Groups["legacy"].Batches[0].Marker = "fl-abcdef-\"quoted\"" // any string survives
	return s
}

// A batch's marker is written in the canonical form (as encoding/json would write it),
// decoded by the streaming decoder, and left out when empty.
func TestBatchMarkerRoundTrip(t *testing.T) {
	s := markedState()
	got, err := encodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceEncoding(t, s); !bytes.Equal(got, want) {
		t.Errorf("encoding differs from encoding/json's (-want +got):\n%s", cmp.Diff(string(want), string(got)))
	}
	if n := bytes.Count(got, []byte(`"marker"`)); n != 3 {
		t.Errorf("%d markers written, want 3 (none for the batches without)", n)
	}
	back, ok := fastDecode(got)
	if !ok {
		t.Fatal("the streaming decoder refused a state with markers")
	}
	for name, g := range s.Groups {
		for i, b := range g.Batches {
			if m := back.Groups[name].Batches[i].Marker; m != b.Marker {
				t.Errorf("group %s batch %d: marker %q, want %q", name, b.Seq, m, b.Marker)
			}
		}
	}
	// The strict decoder reads it too.
	var strict State
	if err := json.Unmarshal(got, &strict); err != nil || strict.Groups["web"].Batches[0].Marker != "fl-abcdef-ghijklmnop" {
		t.Errorf("encoding/json: %v, %+v", err, strict.Groups["web"].Batches[0])
	}
}

// A journal record carries the marker, and replaying it keeps it; Clone copies it.
func TestBatchMarkerInRecords(t *testing.T) {
	b := pendingBatch(5, 2)
	b.Marker = "fl-abcdef-ghijklmnop"
	line, err := json.Marshal(JournalRecord{Group: "web", Batch: b})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := DecodeRecord(line)
	if err != nil {
		t.Fatal(err)
	}
	s := sampleState()
	s.Apply(rec)
	if got := s.Groups["web"].Batch(5); got == nil || got.Marker != b.Marker || got.Clone().Marker != b.Marker {
		t.Errorf("replayed batch %+v, want marker %s", got, b.Marker)
	}
}
