package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// JournalPath returns the journal file of a state file: fleet.state.json gives
// fleet.state.journal.
func JournalPath(statePath string) string {
	return strings.TrimSuffix(statePath, ".json") + ".journal"
}

// ErrJournalClosed is returned by Append on a closed journal.
var ErrJournalClosed = errors.New("journal is closed")

// journalHeader is the first line of a journal: the state it belongs to. Serial is the serial
// of the state file the journal's records are to be replayed onto; a state file with a
// higher serial already holds them.
type journalHeader struct {
	FormatVersion string `json:"format_version"`
	Lineage       string `json:"lineage"`
	Serial        uint64 `json:"serial"`
	Fleet         string `json:"fleet"`
	Region        string `json:"region"`
}

// journalFile is a journal as read from disk.
type journalFile struct {
	path   string
	header *journalHeader // nil when not even the header was completely written
	recs   []JournalRecord
	body   []byte // the complete record lines, as written
}

// readJournal reads the journal at path. Bytes after the last newline are a write that a
// crash cut short: Append never acknowledged it, so it is ignored. Any other line that does
// not decode is an error naming the file and the line.
func readJournal(path string) (*journalFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	jf := &journalFile{path: path}
	complete := data[:bytes.LastIndexByte(data, '\n')+1]
	rest := complete
	for n := 1; len(rest) > 0; n++ {
		i := bytes.IndexByte(rest, '\n')
		line := rest[:i]
		rest = rest[i+1:]
		if n == 1 {
			var h journalHeader
			if err := decodeLine(line, &h); err != nil {
				return nil, &FormatError{Path: path, Pos: "line 1", Err: fmt.Errorf("journal header: %w", err)}
			}
			if err := checkVersion(h.FormatVersion); err != nil {
				return nil, &FormatError{Path: path, Pos: "line 1", Err: err}
			}
			if h.Lineage == "" {
				return nil, &FormatError{Path: path, Pos: "line 1", Err: errors.New("journal header without a lineage")}
			}
			jf.header = &h
			jf.body = complete[len(line)+1:]
			continue
		}
		var r JournalRecord
		if err := decodeLine(line, &r); err != nil {
			return nil, &FormatError{Path: path, Pos: fmt.Sprintf("line %d", n), Err: err}
		}
		if err := checkRecord(r); err != nil {
			return nil, &FormatError{Path: path, Pos: fmt.Sprintf("line %d", n), Err: err}
		}
		jf.recs = append(jf.recs, r)
	}
	return jf, nil
}

// decodeLine decodes one JSON value that must be all of data, rejecting unknown fields.
func decodeLine(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid record: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return errors.New("invalid record: unexpected data after the record")
	}
	return nil
}

// checkRecord checks a journal record before it is written or replayed.
func checkRecord(r JournalRecord) error {
	if r.Group == "" {
		return errors.New("record without a group")
	}
	if r.Batch == nil {
		return fmt.Errorf("record of group %q without a batch", r.Group)
	}
	if err := r.Batch.validate(); err != nil {
		return fmt.Errorf("group %q: batch %d: %w", r.Group, r.Batch.Seq, err)
	}
	return nil
}

// Journal is the append-only journal of one apply. Records of concurrent Append calls are
// committed together: one goroutine (the leader) writes and syncs everything queued while
// the previous commit was in flight, the others wait for it. The cost of a record does not
// depend on the size of the state.
type Journal struct {
	path   string
	key    string
	fsys   fileSystem
	header journalHeader

	mu       sync.Mutex
	cond     sync.Cond
	f        file
	body     []byte  // every record line committed, kept to start the journal afresh
	queue    *commit // records waiting for the next commit
	flushing bool    // a leader is writing
	err      error   // the first failure; the journal takes nothing after it
	closed   bool
	commits  int    // number of write+sync commits, for tests
	onSync   func() // called after each commit's sync, for tests
}

// commit is a group of records written with one write and one sync.
type commit struct {
	buf  []byte
	done bool
	err  error
}

// openJournals are the journals open in this process, by absolute path, so that Write can
// start an open journal afresh instead of removing it.
var openJournals = struct {
	sync.Mutex
	m map[string]*Journal
}{m: map[string]*Journal{}}

// OpenJournal starts the journal of the state at statePath, for s as read from there (Read
// has replayed any journal found beside it). Records of an existing journal that the state
// file does not hold yet are carried into the new one, so that none is lost; a journal of
// another lineage is an error. The new journal replaces the old one atomically.
func OpenJournal(statePath string, s *State) (*Journal, error) {
	return openJournal(osFS{}, statePath, s)
}

func openJournal(fsys fileSystem, statePath string, s *State) (*Journal, error) {
	path := JournalPath(statePath)
	if s.Lineage == "" {
		return nil, fmt.Errorf("open journal %s: state without a lineage", path)
	}
	key, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	openJournals.Lock()
	defer openJournals.Unlock()
	if openJournals.m[key] != nil {
		return nil, fmt.Errorf("open journal %s: already open in this process", path)
	}
	var body []byte
	jf, err := readJournal(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("open journal: %w", err)
	case jf.header != nil:
		if jf.header.Lineage != s.Lineage {
			return nil, fmt.Errorf("open journal %s: it belongs to another state (lineage %s, not %s)", path, jf.header.Lineage, s.Lineage)
		}
		if s.Serial <= jf.header.Serial {
			body = bytes.Clone(jf.body)
		}
	}
	j := &Journal{
		path:   path,
		key:    key,
		fsys:   fsys,
		header: journalHeader{FormatVersion: FormatVersion, Lineage: s.Lineage, Serial: s.Serial, Fleet: s.Fleet, Region: s.Region},
		body:   body,
	}
	j.cond.L = &j.mu
	if j.f, err = j.create(j.header); err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	openJournals.m[key] = j
	return j, nil
}

// create writes a journal holding the header and j.body under a temporary name, renames it
// into place and returns it open for appending.
func (j *Journal) create(h journalHeader) (file, error) {
	line, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	data := make([]byte, 0, len(line)+1+len(j.body))
	data = append(append(append(data, line...), '\n'), j.body...)
	dir := dirOf(j.path)
	tmp, err := writeTemp(j.fsys, dir, "."+filepath.Base(j.path)+".tmp-*", data)
	if err != nil {
		return nil, err
	}
	f, err := j.fsys.OpenAppend(tmp)
	if err != nil {
		_ = j.fsys.Remove(tmp)
		return nil, err
	}
	if err := j.fsys.Rename(tmp, j.path); err != nil {
		_ = f.Close()
		_ = j.fsys.Remove(tmp)
		return nil, err
	}
	if err := j.fsys.SyncDir(dir); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Append writes the records, one JSON line each, and returns once they are durable. Calls
// from several goroutines are committed together. After a failed write or sync the journal
// takes no more records: every later Append returns the first error.
func (j *Journal) Append(recs ...JournalRecord) error {
	if len(recs) == 0 {
		return nil
	}
	var lines []byte
	for _, r := range recs {
		if err := checkRecord(r); err != nil {
			return fmt.Errorf("append to journal %s: %w", j.path, err)
		}
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("append to journal %s: %w", j.path, err)
		}
		lines = append(append(lines, b...), '\n')
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("append to journal %s: %w", j.path, ErrJournalClosed)
	}
	if j.err != nil {
		return j.err
	}
	c := j.queue
	if c == nil {
		c = &commit{}
		j.queue = c
	}
	c.buf = append(c.buf, lines...)
	for !c.done {
		if j.flushing {
			j.cond.Wait()
			continue
		}
		// No commit is in flight and ours is still queued: lead it.
		j.flush()
	}
	return c.err
}

// flush writes and syncs the queued commit. It is called with j.mu held and releases it
// during the I/O, so that more records can queue for the next commit meanwhile.
func (j *Journal) flush() {
	c := j.queue
	j.queue = nil
	j.flushing = true
	f, err := j.f, j.err
	j.mu.Unlock()
	if err == nil {
		if _, werr := f.Write(c.buf); werr != nil {
			err = fmt.Errorf("append to journal %s: %w", j.path, werr)
		} else if serr := f.Sync(); serr != nil {
			err = fmt.Errorf("append to journal %s: sync: %w", j.path, serr)
		} else if j.onSync != nil {
			j.onSync()
		}
	}
	j.mu.Lock()
	if err == nil {
		j.body = append(j.body, c.buf...)
		j.commits++
	} else if j.err == nil {
		j.err = err
	}
	c.done, c.err = true, err
	j.flushing = false
	j.cond.Broadcast()
}

// rebase starts the journal afresh for the state file of the given serial, which Write has
// just saved. The records committed so far are carried over (replaying them is a no-op on
// a state that holds them), so records committed while the state was being written are not
// lost.
func (j *Journal) rebase(serial uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.flushing {
		j.cond.Wait()
	}
	if j.closed {
		return nil
	}
	if j.err != nil {
		return j.err
	}
	h := j.header
	h.Serial = serial
	f, err := j.create(h)
	if err != nil {
		j.err = fmt.Errorf("start journal %s afresh: %w", j.path, err)
		return j.err
	}
	_ = j.f.Close()
	j.f, j.header = f, h
	return nil
}

// Close waits for the commits in flight and closes the journal. The file stays until Write
// folds it into the state.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	for j.flushing || j.queue != nil {
		j.cond.Wait()
	}
	err := j.f.Close()
	j.mu.Unlock()
	openJournals.Lock()
	if openJournals.m[j.key] == j {
		delete(openJournals.m, j.key)
	}
	openJournals.Unlock()
	if err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}

// foldJournal is the last step of Write: the journal of the state at statePath is now held
// by the state, so it is removed, or started afresh if this process still has it open.
func foldJournal(fsys fileSystem, statePath string, s *State) error {
	path := JournalPath(statePath)
	if key, err := filepath.Abs(path); err == nil {
		openJournals.Lock()
		j := openJournals.m[key]
		openJournals.Unlock()
		if j != nil {
			return j.rebase(s.Serial)
		}
	}
	if err := fsys.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove folded journal: %w", err)
	}
	return nil
}
