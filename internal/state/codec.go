package state

import (
	"bytes"
	"fmt"
	"io"
)

// The functions below let a store that keeps the state elsewhere than in a file (package
// pgstore) use the file format and its checks: the same canonical bytes, the same strict
// reading, the same journal records.

// Encode returns the canonical bytes of a state file for s, after checking its invariants.
// It does not change the serial.
func Encode(s *State) ([]byte, error) {
	s.FormatVersion = FormatVersion
	s.normalize()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("invalid state: %w", err)
	}
	return encodeState(s)
}

// Decode reads a state from what open returns, as Read reads a file named name: a state in
// the canonical form is decoded as it streams through a small window; anything else is read
// whole (open is called again) and decoded strictly. Errors name name.
func Decode(name string, open func() (io.Reader, error)) (*State, error) {
	r, err := open()
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return decodeStream(name, r, func() ([]byte, error) {
		r, err := open()
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	})
}

// DecodeRecord decodes and checks one journal record as written by a Journal.
func DecodeRecord(line []byte) (JournalRecord, error) {
	var r JournalRecord
	if err := decodeLine(line, &r); err != nil {
		return r, err
	}
	if err := checkRecord(r); err != nil {
		return r, err
	}
	return r, nil
}

// Replay applies journal records onto s (as Read does with a journal), counts them in
// s.Journaled and checks the invariants after. name names the journal in errors.
func Replay(name string, s *State, recs []JournalRecord) error {
	for _, r := range recs {
		s.Apply(r)
	}
	s.Journaled += len(recs)
	if err := s.Validate(); err != nil {
		return &FormatError{Path: name, Err: fmt.Errorf("state after replay: %w", err)}
	}
	return nil
}

// NewJournal returns a Journal whose records are committed in groups through commit: it is
// called by one goroutine at a time with every record queued meanwhile (and their JSON
// lines, one per record), and must make them durable before it returns. After an error the
// journal takes no more records. what names the journal in errors.
func NewJournal(what string, commit func(recs []JournalRecord, lines [][]byte) error, onClose func() error) Journal {
	j := &funcJournal{onClose: onClose}
	j.committer = newCommitter(what, func(b *batch) error {
		lines := bytes.SplitAfter(b.lines, []byte{'\n'})
		if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
			lines = lines[:n-1]
		}
		for i := range lines {
			lines[i] = bytes.TrimSuffix(lines[i], []byte{'\n'})
		}
		return commit(b.recs, lines)
	})
	return j
}

type funcJournal struct {
	*committer
	onClose func() error
}

func (j *funcJournal) Close() error {
	if !j.close() || j.onClose == nil {
		return nil
	}
	return j.onClose()
}
