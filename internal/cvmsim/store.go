package cvmsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"fleet/internal/atomicfile"
)

// dataFormatVersion is the format_version of the data files this build reads and writes.
const dataFormatVersion = "1"

// dataFile is the simulator's data file.
type dataFile struct {
	FormatVersion  string                  `json:"format_version"`
	NextDeal       int64                   `json:"next_deal"`
	BalanceFen     int64                   `json:"balance_fen"` // -1: unlimited
	VPCs           []VPC                   `json:"vpcs"`
	Instances      []*Instance             `json:"instances"`
	Tokens         map[string]*tokenRecord `json:"tokens"`
	WindowsImages  []string                `json:"windows_images"`
	RequestsServed map[string]int          `json:"requests_served"`
}

// load reads the data file at path into s, if it exists. A file that cannot be read is an
// error: it is never overwritten.
func (s *Server) load(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load simulator data %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f dataFile
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("load simulator data %s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("load simulator data %s: data after the first JSON object", path)
	}
	if f.FormatVersion != dataFormatVersion {
		return fmt.Errorf("load simulator data %s: format_version %q, want %q", path, f.FormatVersion, dataFormatVersion)
	}
	if f.BalanceFen < Unlimited {
		return fmt.Errorf("load simulator data %s: balance_fen %d: want -1 (unlimited) or more", path, f.BalanceFen)
	}
	s.nextDeal, s.balance = f.NextDeal, f.BalanceFen
	for _, v := range f.VPCs {
		if err := s.addVPC(v); err != nil {
			return fmt.Errorf("load simulator data %s: %w", path, err)
		}
	}
	for i, in := range f.Instances {
		if in == nil || s.byID[in.ID] != nil {
			return fmt.Errorf("load simulator data %s: instance %d: missing or repeated id", path, i)
		}
		if !instanceIDPattern.MatchString(in.ID) {
			return fmt.Errorf("load simulator data %s: instance %d: id %q: want ins- and 8 lowercase letters or digits", path, i, in.ID)
		}
		if in.Deadline.IsZero() {
			in.Deadline = addMonths(in.CreatedAt, in.Period)
		}
		if in.AutoRenew < 0 || in.AutoRenew > 2 || in.Lapse != "" && in.Lapse != lapseIsolated && in.Lapse != lapseReleased {
			return fmt.Errorf("load simulator data %s: instance %s: auto_renew %d, lapse %q: want 0 to 2 and \"\", %q or %q",
				path, in.ID, in.AutoRenew, in.Lapse, lapseIsolated, lapseReleased)
		}
		if in.DealID >= s.nextDeal {
			s.nextDeal = in.DealID + 1
		}
		s.pos[in.ID] = len(s.instances)
		s.instances = append(s.instances, in)
		s.byID[in.ID] = in
	}
	for tok, rec := range f.Tokens {
		if rec == nil {
			return fmt.Errorf("load simulator data %s: token %s: no record", path, tok)
		}
		s.tokens[tok] = rec
	}
	for _, id := range f.WindowsImages {
		s.windows[id] = true
	}
	for a, n := range f.RequestsServed {
		s.counts[a] = n
	}
	return nil
}

// snapshot encodes the simulator's state, forgetting expired tokens first. Callers hold mu.
func (s *Server) snapshot() ([]byte, error) {
	if ttl := s.cfg.TokenTTL; ttl > 0 {
		now := s.Now()
		for t, rec := range s.tokens {
			if now.Sub(rec.At) >= ttl {
				delete(s.tokens, t)
			}
		}
	}
	f := dataFile{
		FormatVersion:  dataFormatVersion,
		NextDeal:       s.nextDeal,
		BalanceFen:     s.balance,
		VPCs:           []VPC{},
		Instances:      s.instances,
		Tokens:         s.tokens,
		WindowsImages:  []string{},
		RequestsServed: s.counts,
	}
	if f.Instances == nil {
		f.Instances = []*Instance{}
	}
	for _, v := range s.vpcs {
		f.VPCs = append(f.VPCs, *v)
	}
	sort.Slice(f.VPCs, func(i, j int) bool { return f.VPCs[i].ID < f.VPCs[j].ID })
	for id := range s.windows {
		f.WindowsImages = append(f.WindowsImages, id)
	}
	sort.Strings(f.WindowsImages)
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// persist writes the data file if the state changed since the last write. Concurrent callers
// are serialised; a caller returns once a version at least as new as the one it saw is on
// disk.
func (s *Server) persist() error {
	if s.cfg.DataPath == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	return s.save()
}

// save writes the current state if it is newer than the saved one. Callers hold saveMu or
// own s exclusively.
func (s *Server) save() error {
	s.mu.Lock()
	ver := s.version
	if ver == s.savedVer {
		s.mu.Unlock()
		return nil
	}
	b, err := s.snapshot()
	s.mu.Unlock()
	if err == nil {
		err = atomicfile.Write(s.cfg.DataPath, b, 0o600)
	}
	if err != nil {
		return fmt.Errorf("save simulator data %s: %w", s.cfg.DataPath, err)
	}
	s.savedVer = ver
	return nil
}

// Close writes the data file a last time. The simulator keeps answering afterwards, in memory
// and on disk.
func (s *Server) Close() error {
	if s.cfg.DataPath == "" {
		return nil
	}
	s.mu.Lock()
	s.version++ // write even when nothing changed, so that the file has the final state
	s.mu.Unlock()
	if err := s.persist(); err != nil {
		return fmt.Errorf("close simulator: %w", err)
	}
	return nil
}
