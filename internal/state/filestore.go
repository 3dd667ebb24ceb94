package state

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// FileStore is the Store of a local state file: the file itself (atomic writes, a backup),
// the journal beside it during an apply, an flock for the lock, and a history file that
// gets one line per write. It owns the journal it opens, so that a Write during an apply
// starts that journal afresh instead of removing it.
type FileStore struct {
	path    string
	fsys    fileSystem
	now     func() time.Time
	journal *FileJournal // the journal this store has open, if any
	stored  *stored      // what the file held when last read or written; nil: not known
}

// stored is the identity of the state in the file.
type stored struct {
	lineage string
	serial  uint64
}

// NewFileStore returns the store of the state file at path. A path that is a symbolic link
// is resolved once, here: the lock, the journal, the backup and the write all act on the
// file it points to, and the link stays a link.
func NewFileStore(path string) (*FileStore, error) {
	resolved, err := resolveLink(path)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return &FileStore{path: resolved, fsys: osFS{}, now: time.Now}, nil
}

// resolveLink follows path while it is a symbolic link, to the file it names (which may not
// exist yet).
func resolveLink(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", errors.New("too many levels of symbolic links")
}

// Path returns the state file the store reads and writes (a symbolic link resolved).
func (s *FileStore) Path() string { return s.path }

// HistoryPath returns the history file of a state file: fleet.state.json gives
// fleet.state.history.
func HistoryPath(statePath string) string {
	return strings.TrimSuffix(statePath, ".json") + ".history"
}

// Where names the state file.
func (s *FileStore) Where() string { return s.path }

// Lock takes the flock of the state file.
func (s *FileStore) Lock(ctx context.Context, operation string, timeout time.Duration) (Lock, error) {
	return LockFile(ctx, s.path, operation, timeout)
}

// Read reads the state file and replays its journal. A missing file (and journal) gives an
// error matching ErrNoState.
func (s *FileStore) Read(ctx context.Context) (*State, error) {
	st, err := Read(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		var fe *FormatError
		if !errors.As(err, &fe) {
			s.stored = &stored{}
			return nil, fmt.Errorf("%s: %w", s.path, ErrNoState)
		}
	}
	if err != nil {
		return nil, err
	}
	s.stored = &stored{st.Lineage, st.Serial}
	return st, nil
}

// checkOver refuses to write st over a state of another lineage or a later serial.
func (s *FileStore) checkOver(st *State) error {
	if s.stored == nil {
		cur, err := Read(s.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			s.stored = &stored{}
		case err != nil:
			return fmt.Errorf("write state %s: %w", s.path, err)
		default:
			s.stored = &stored{cur.Lineage, cur.Serial}
		}
	}
	switch {
	case s.stored.lineage == "":
	case s.stored.lineage != st.Lineage:
		return fmt.Errorf("write state %s: it holds another state (lineage %s, not %s)", s.path, s.stored.lineage, st.Lineage)
	case s.stored.serial > st.Serial:
		return fmt.Errorf("write state %s: it changed since it was read (serial %d, read at %d)", s.path, s.stored.serial, st.Serial)
	}
	return nil
}

// Write saves the state file and folds the journal in, then adds a line to the history.
func (s *FileStore) Write(ctx context.Context, st *State, c Change) error {
	if err := s.checkOver(st); err != nil {
		return err
	}
	s.removeLeftovers()
	if err := writeStateJournal(s.fsys, s.path, st, s.journal); err != nil {
		return err
	}
	s.stored = &stored{st.Lineage, st.Serial}
	who, host := Who()
	v := Version{Serial: st.Serial, Lineage: st.Lineage, Time: s.now().UTC(), Who: who, Host: host, Operation: c.Operation, Summary: c.Summary}
	// The state is saved: the history line is a record for people, and a failure to add it
	// (a full disk) must not make a command that saved its state report that it did not.
	_ = appendHistory(HistoryPath(s.path), v)
	return nil
}

// removeLeftovers removes the temporary files that writes killed before their rename left
// beside the state file: under the lock no other write of this state is under way.
func (s *FileStore) removeLeftovers() {
	dir := dirOf(s.path)
	for _, base := range []string{filepath.Base(s.path), filepath.Base(s.path) + ".backup", filepath.Base(JournalPath(s.path))} {
		matches, _ := filepath.Glob(filepath.Join(dir, "."+base+".tmp-*"))
		for _, m := range matches {
			if s.journal == nil || !strings.HasPrefix(filepath.Base(m), "."+filepath.Base(JournalPath(s.path))) {
				_ = os.Remove(m)
			}
		}
	}
}

// OpenJournal starts the journal beside the state file. One store has at most one journal
// open.
func (s *FileStore) OpenJournal(ctx context.Context, st *State) (Journal, error) {
	if s.journal != nil {
		return nil, fmt.Errorf("open journal %s: already open", JournalPath(s.path))
	}
	j, err := openJournal(s.fsys, s.path, st)
	if err != nil {
		return nil, err
	}
	j.onDone = func() { s.journal = nil }
	s.journal = j
	return j, nil
}

// ForceUnlock removes a lock left by a dead process (see the package function).
func (s *FileStore) ForceUnlock(ctx context.Context) error { return ForceUnlock(s.path) }

// History reads the history file, newest first.
func (s *FileStore) History(ctx context.Context, limit int) ([]Version, error) {
	path := HistoryPath(s.path)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []Version{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	var out []Version
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v Version
		if json.Unmarshal(line, &v) != nil {
			continue // a line torn by a crash; the history is only a record
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read history %s: %w", path, err)
	}
	slices.Reverse(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Close closes the journal if it is still open.
func (s *FileStore) Close() error {
	if s.journal != nil {
		return s.journal.Close()
	}
	return nil
}

// appendHistory adds one line to the history file and syncs it. A torn last line (a crash
// mid-write) is ended first, so that it spoils only itself.
func appendHistory(path string, v Version) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

var _ Store = (*FileStore)(nil)
