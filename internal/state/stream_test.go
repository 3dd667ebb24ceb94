package state

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// streamDecode decodes data as readStateFile's first attempt does, through a window of size
// bytes refilled below low, read one byte at a time.
func streamDecode(data []byte, size, low int) (*State, bool) {
	p := &parser{r: iotest.OneByteReader(bytes.NewReader(data)), data: make([]byte, 0, size), low: low}
	s, ok := p.whole()
	return s, ok && p.err == nil
}

// checkStreamed holds the streamed decode to fastDecode on data: with a window larger than
// any value of data (longest), both accept the same inputs with the same result.
func checkStreamed(t *testing.T, data []byte, size, low, longest int) {
	t.Helper()
	fast, fok := fastDecode(data)
	got, sok := streamDecode(data, size, low)
	if sok && !fok {
		t.Fatalf("the streamed decode accepts what fastDecode rejects:\n%s", data)
	}
	if !sok {
		if fok && longest < low {
			t.Fatalf("the streamed decode (window %d, low %d) rejects what fastDecode accepts:\n%s", size, low, data)
		}
		return
	}
	if d := cmp.Diff(fast, got, cmpopts.IgnoreUnexported(State{})); d != "" {
		t.Fatalf("the streamed decode differs from fastDecode (-fast +streamed):\n%s", d)
	}
}

// TestStreamedDecodeMutations checks the streamed decode against fastDecode on a canonical
// state and seeded mutations of it, with windows far smaller than the file, so that every
// value crosses a refill somewhere.
func TestStreamedDecodeMutations(t *testing.T) {
	good, err := encodeState(sampleState())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range [][2]int{{256, 128}, {300, 200}, {1 << 12, 1 << 10}} {
		if _, ok := streamDecode(good, w[0], w[1]); !ok {
			t.Fatalf("window %v: the streamed decode rejects a canonical state", w)
		}
		checkStreamed(t, good, w[0], w[1], 100)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "{}[]:,\"\\ \n0123456789-.eEnulltrue\x00\xffabc"
	for range 3000 {
		data := bytes.Clone(good)
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(data))
			switch rng.IntN(3) {
			case 0:
				data[i] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				data = append(data[:i], data[i+1:]...)
			default:
				data = append(data[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, data[i:]...)...)
			}
		}
		checkStreamed(t, data, 256, 128, 100)
	}
}

// TestStreamedDecodeLongValue checks that a value longer than the window is not mistaken for
// a short one: the streamed decode fails, and Read still reads the file whole.
func TestStreamedDecodeLongValue(t *testing.T) {
	s := sampleState()
	for _, g := range s.Groups {
		for _, b := range g.Batches {
			b.Error = &BatchError{Message: strings.Repeat("x", 3*windowSize)}
			b.Status = StatusFailed
			b.InstanceIDs, b.DealIDs = []string{}, []string{}
		}
		g.Instances = nil
		break
	}
	s.normalize()
	if err := s.Validate(); err != nil {
		t.Fatalf("test state: %v", err)
	}
	data, err := encodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := streamDecode(data, 1<<12, 1<<10); ok {
		t.Fatal("the streamed decode accepted a value longer than its window")
	}
	path := filepath.Join(t.TempDir(), "fleet.state.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeState(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(State{}), ignoreJournaled); d != "" {
		t.Fatalf("Read differs from decodeState (-want +got):\n%s", d)
	}
}

// TestReadNotCanonical checks that a state file in a form the fast decoder does not take is
// read whole and decoded strictly: a valid one gives the strict decoding's state, a broken
// one its error.
func TestReadNotCanonical(t *testing.T) {
	for _, tc := range []struct{ name, data string }{
		{"null groups", `{"format_version":"1.0","lineage":"l","serial":3,"fleet":"f","region":"ap-guangzhou","groups":null}`},
		{"unknown field", `{"format_version":"1.0","lineage":"l","serial":3,"fleet":"f","region":"ap-guangzhou","groups":{},"extra":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.data)
			if _, ok := fastDecode(data); ok {
				t.Fatal("the fast decoder takes the test input")
			}
			path := filepath.Join(t.TempDir(), "fleet.state.json")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			want, wantErr := decodeStrict(path, data)
			got, err := Read(path)
			if wantErr != nil {
				var fe *FormatError
				if err == nil || err.Error() != wantErr.Error() || !errors.As(err, &fe) {
					t.Fatalf("Read: %v; want the strict decoding's *FormatError %v", err, wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(State{}), ignoreJournaled); d != "" {
				t.Fatalf("Read differs from the strict decoding (-want +got):\n%s", d)
			}
		})
	}
}

// FuzzStreamedDecode holds the streamed decode to fastDecode: read one byte at a time
// through a window of 512 bytes refilled below 256, any input accepts and decodes the same
// way, except that an input with a value longer than 256 bytes may be refused by the window.
func FuzzStreamedDecode(f *testing.F) {
	good, err := encodeState(sampleState())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	refreshed, err := encodeState(refreshedState())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(refreshed)
	f.Add([]byte(`{"format_version":"1.0","lineage":"x","serial":1,"groups":{"g":{"batches":[{"seq":1,"kind":"r\u0075n","error":null,"params":{"a":"b"}}],"instances":[{"id":"i","status_at":null}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		longest := 0
		if len(data) >= 256 {
			longest = len(data) // a value may be that long: only the one direction holds
		}
		checkStreamed(t, data, 512, 256, longest)
	})
}
