package state

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzRead reads arbitrary bytes as a state file and its journal (empty input: no such
// file). Read never panics, and whatever it accepts is valid, can be written, and reads
// back the same.
func FuzzRead(f *testing.F) {
	good, err := encodeState(sampleState())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, []byte{})
	refreshed, err := encodeState(refreshedState())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(refreshed, []byte{})
	f.Add([]byte(`{"format_version":"1.0","lineage":"x","serial":0,"fleet":"f","region":"r","groups":{"g":{"batches":[{"seq":0,"kind":"run","goods_num":1,"status":"done","deal_ids":[],"instance_ids":["ins-1"],"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}],"instances":[{"id":"ins-1","batch":0,"status":2,"private_ips":[],"public_ips":["1.2.3.4"],"auto_renew":0,"deadline":null}]}}}`), []byte{})
	f.Add([]byte(`{"format_version":"1.0","lineage":"x","serial":0,"fleet":"f","region":"r","groups":{}}`),
		[]byte(`{"format_version":"1.0","lineage":"x","serial":0,"fleet":"f","region":"r"}`+"\n"+
			`{"group":"g","batch":{"seq":0,"kind":"run","goods_num":1,"status":"done","deal_ids":[],"instance_ids":["ins-1"],"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}`+"\n"))
	f.Fuzz(func(t *testing.T, stateData, journalData []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "fleet.state.json")
		if len(stateData) > 0 {
			writeFile(t, path, stateData)
		}
		if len(journalData) > 0 {
			writeFile(t, JournalPath(path), journalData)
		}
		s, err := Read(path)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Read accepted an invalid state: %v", err)
		}
		out := filepath.Join(dir, "out.state.json")
		// The write skips fsync (faultFS without a fault): durability is not under test here.
		if err := writeState(&faultFS{at: -1}, out, s); err != nil {
			t.Fatalf("Write of an accepted state: %v", err)
		}
		back, err := Read(out)
		if err != nil {
			t.Fatalf("Read of a written state: %v", err)
		}
		if d := cmp.Diff(s, back, ignoreJournaled); d != "" {
			t.Fatalf("round trip (-wrote +read):\n%s", d)
		}
	})
}

// FuzzFastDecode holds the fast state decoder to encoding/json: whatever it accepts, the
// strict encoding/json decoding accepts too, with the same result.
func FuzzFastDecode(f *testing.F) {
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
	f.Add([]byte(`{"groups":{"g":{"instances":[{"id":"i","zone_id":0,"private_ips":[],"public_ips":null,"deadline":null,"auto_renew":null}]}}}`))
	f.Add([]byte(`{"groups":{"g":{"instances":[{"id":"i","auto_renew":-0,"zone_id":1e2,"deadline":"2027-13-01T00:00:00Z","private_ips":["a",1]}]}}}`))
	f.Add([]byte(`{"groups":{"g":{"instances":[{"id":"i","auto_renew":1,"auto_renew":2}]}}}`))
	f.Add([]byte(`{"format_version":"1.0","lineage":"x","serial":18446744073709551615,"groups":{"g":{"batches":[{"seq":-9223372036854775808,"kind":"r\u0075n","error":null,"params":{}}],"instances":[{"id":"i","status_at":null}]}}}`))
	f.Add([]byte(`{"serial":01}`))
	f.Add([]byte(`{"serial":1.0,"lineage":"a\ud800b"}`))
	f.Add([]byte(`{"Lineage":"x","lineage":"y"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := fastDecode(data)
		if !ok {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var slow State
		if err := dec.Decode(&slow); err != nil {
			t.Fatalf("fast decoder accepted what encoding/json rejects: %v", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("fast decoder accepted trailing data")
		}
		if d := cmp.Diff(&slow, fast); d != "" {
			t.Fatalf("fast decoder differs from encoding/json (-json +fast):\n%s", d)
		}
	})
}

// TestFastDecodeMutations checks the property of FuzzFastDecode on seeded mutations of
// canonical states, with and without refreshed values: bytes changed, dropped and inserted.
func TestFastDecodeMutations(t *testing.T) {
	for name, s := range map[string]*State{"sample": sampleState(), "refreshed": refreshedState()} {
		t.Run(name, func(t *testing.T) { checkFastDecodeMutations(t, s) })
	}
}

func checkFastDecodeMutations(t *testing.T, s *State) {
	good, err := encodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fastDecode(good); !ok {
		t.Fatal("fast decoder rejects a canonical state")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "{}[]:,\"\\ \n0123456789-.eEnulltrue\x00\xffabc"
	accepted := 0
	for range 5000 {
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
		fast, ok := fastDecode(data)
		if !ok {
			continue
		}
		accepted++
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var slow State
		if err := dec.Decode(&slow); err != nil {
			t.Fatalf("fast decoder accepted what encoding/json rejects (%v):\n%s", err, data)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("fast decoder accepted trailing data:\n%s", data)
		}
		if d := cmp.Diff(&slow, fast); d != "" {
			t.Fatalf("fast decoder differs from encoding/json (-json +fast):\n%s\ninput:\n%s", d, data)
		}
	}
	t.Logf("%d of 5000 mutations accepted by the fast decoder, all as encoding/json decodes them", accepted)
}

// TestFastDecodeAdopted: a state holding a batch adopted by its marker is decoded by the fast
// path, as encoding/json decodes it.
func TestFastDecodeAdopted(t *testing.T) {
	s := sampleState()
	for _, name := range s.GroupNames() {
		if b := s.Group(name).Batches; len(b) > 0 {
			b[0].Adopted = true
			break
		}
	}
	data, err := encodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"adopted": true`)) {
		t.Fatalf("the sample holds no adopted batch:\n%s", data)
	}
	fast, ok := fastDecode(data)
	if !ok {
		t.Fatal("the fast decoder refused a state holding an adopted batch")
	}
	var slow State
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&slow, fast); d != "" {
		t.Errorf("fast decoder differs from encoding/json (-json +fast):\n%s", d)
	}
}
