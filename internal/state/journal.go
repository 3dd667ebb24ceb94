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
				if _, rerr := DecodeRecord(line); rerr == nil {
					// A record where the header belongs: the file was emptied or cut while an
					// apply went on appending to it.
					return nil, &FormatError{Path: path, Pos: "line 1", Err: errors.New("the journal starts with a call's record, not its header: " +
						"it was emptied or cut while an apply wrote to it, so which state its records belong to is lost. " +
						"Move it aside (keep it: it names the calls whose outcome was being recorded), then run \"fleet state recover\" " +
						"to adopt the instances those calls bought, and \"fleet plan\"")}
				}
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
	if r.Instance != nil {
		switch u := r.Instance; {
		case r.Batch != nil:
			return fmt.Errorf("record of group %q with both a batch and an instance", r.Group)
		case u.ID == "":
			return fmt.Errorf("group %q: instance record without an id", r.Group)
		case u.Renewing != nil && u.Renewed:
			return fmt.Errorf("group %q: instance %s: a renewal both in flight and ended", r.Group, u.ID)
		case u.Renewing != nil && (u.Renewing.From.IsZero() || u.Renewing.Period < 1):
			return fmt.Errorf("group %q: instance %s: renewal without its deadline or period", r.Group, u.ID)
		case u.AutoRenew != nil && (*u.AutoRenew < AutoRenewNotify || *u.AutoRenew > AutoRenewNever):
			return fmt.Errorf("group %q: instance %s: renew flag %d", r.Group, u.ID, *u.AutoRenew)
		}
		return nil
	}
	if r.Batch == nil {
		return fmt.Errorf("record of group %q without a batch", r.Group)
	}
	if err := r.Batch.validate(); err != nil {
		return fmt.Errorf("group %q: batch %d: %w", r.Group, r.Batch.Seq, err)
	}
	return nil
}

// committer commits journal records in groups: records of concurrent Append calls are
// committed together by one goroutine (the leader), which hands everything queued while the
// previous commit was in flight to sink at once; the others wait for it. The cost of a
// record does not depend on the size of the state. After a failed commit the committer
// takes no more records: every later Append returns the first error. The file journal and
// the PostgreSQL journal share it; only their sinks differ.
type committer struct {
	what string             // "journal PATH", for messages
	sink func(*batch) error // makes one batch durable; called by the leader without mu

	mu       sync.Mutex
	cond     sync.Cond
	queue    *batch // records waiting for the next commit
	flushing bool   // a leader is committing
	err      error  // the first failure
	closed   bool
	commits  int    // number of commits, for tests
	onSync   func() // called after each commit, for tests
}

// batch is a group of records committed at once: the records and their JSON lines.
type batch struct {
	recs  []JournalRecord
	lines []byte // one JSON line per record, in order
	done  bool
	err   error
}

func newCommitter(what string, sink func(*batch) error) *committer {
	c := &committer{what: what, sink: sink}
	c.cond.L = &c.mu
	return c
}

// Append checks and encodes the records and returns once they are durable.
func (c *committer) Append(recs ...JournalRecord) error {
	if len(recs) == 0 {
		return nil
	}
	var lines []byte
	for _, r := range recs {
		if err := checkRecord(r); err != nil {
			return fmt.Errorf("append to %s: %w", c.what, err)
		}
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("append to %s: %w", c.what, err)
		}
		lines = append(append(lines, b...), '\n')
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("append to %s: %w", c.what, ErrJournalClosed)
	}
	if c.err != nil {
		return c.err
	}
	b := c.queue
	if b == nil {
		b = &batch{}
		c.queue = b
	}
	b.recs = append(b.recs, recs...)
	b.lines = append(b.lines, lines...)
	for !b.done {
		if c.flushing {
			c.cond.Wait()
			continue
		}
		// No commit is in flight and ours is still queued: lead it.
		c.flush()
	}
	return b.err
}

// flush commits the queued batch. It is called with c.mu held and releases it during the
// I/O, so that more records can queue for the next commit meanwhile.
func (c *committer) flush() {
	b := c.queue
	c.queue = nil
	c.flushing = true
	err := c.err
	c.mu.Unlock()
	if err == nil {
		err = c.sink(b)
		if err == nil && c.onSync != nil {
			c.onSync()
		}
	}
	c.mu.Lock()
	if err == nil {
		c.commits++
	} else if c.err == nil {
		c.err = err
	}
	b.done, b.err = true, err
	c.flushing = false
	c.cond.Broadcast()
}

// idle runs fn with no commit in flight and none starting until it returns. fn is not run
// once the committer is closed; its error sticks.
func (c *committer) idle(fn func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.flushing {
		c.cond.Wait()
	}
	if c.closed {
		return nil
	}
	if c.err != nil {
		return c.err
	}
	if err := fn(); err != nil {
		c.err = err
		return err
	}
	return nil
}

// close waits for the commits in flight and queued, then takes no more records. It
// reports whether this call closed it.
func (c *committer) close() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	for c.flushing || c.queue != nil {
		if !c.flushing {
			c.flush()
			continue
		}
		c.cond.Wait()
	}
	return true
}

// FileJournal is the append-only journal of one apply on a state file: one JSON line per
// record, fsync'd before Append returns, records of concurrent Appends written and synced
// together.
type FileJournal struct {
	*committer
	path   string
	fsys   fileSystem
	header journalHeader
	f      file
	body   []byte // every record line committed, kept to start the journal afresh
	onDone func() // called by Close, so that the store knows the journal is closed
}

// OpenJournal starts the journal of the state at statePath, for s as read from there (Read
// has replayed any journal found beside it). Records of an existing journal that the state
// file does not hold yet are carried into the new one, so that none is lost; a journal of
// another lineage is an error. The new journal replaces the old one atomically. Write
// removes the journal it folds in: during an apply, write through a FileStore, whose Write
// starts its open journal afresh instead.
func OpenJournal(statePath string, s *State) (*FileJournal, error) {
	return openJournal(osFS{}, statePath, s)
}

func openJournal(fsys fileSystem, statePath string, s *State) (*FileJournal, error) {
	path := JournalPath(statePath)
	if s.Lineage == "" {
		return nil, fmt.Errorf("open journal %s: state without a lineage", path)
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
	j := &FileJournal{
		path:   path,
		fsys:   fsys,
		header: journalHeader{FormatVersion: FormatVersion, Lineage: s.Lineage, Serial: s.Serial, Fleet: s.Fleet, Region: s.Region},
		body:   body,
	}
	j.committer = newCommitter("journal "+path, j.write)
	if j.f, err = j.create(j.header); err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	return j, nil
}

// write is the file journal's sink: one write and one fsync for the whole batch.
func (j *FileJournal) write(b *batch) error {
	if _, err := j.f.Write(b.lines); err != nil {
		return fmt.Errorf("append to journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("append to journal %s: sync: %w", j.path, err)
	}
	j.body = append(j.body, b.lines...) // only the leader runs the sink
	return nil
}

// create writes a journal holding the header and j.body under a temporary name, renames it
// into place and returns it open for appending.
func (j *FileJournal) create(h journalHeader) (file, error) {
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
func (j *FileJournal) Path() string { return j.path }

// rebase starts the journal afresh for the state file of the given serial, which Write has
// just saved. The records committed so far are carried over (replaying them is a no-op on
// a state that holds them), so records committed while the state was being written are not
// lost.
func (j *FileJournal) rebase(serial uint64) error {
	return j.idle(func() error {
		h := j.header
		h.Serial = serial
		f, err := j.create(h)
		if err != nil {
			return fmt.Errorf("start journal %s afresh: %w", j.path, err)
		}
		_ = j.f.Close()
		j.f, j.header = f, h
		return nil
	})
}

// Close waits for the commits in flight and closes the journal. The file stays until Write
// folds it into the state.
func (j *FileJournal) Close() error {
	if !j.close() {
		return nil
	}
	if j.onDone != nil {
		j.onDone()
	}
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}

// foldJournal is the last step of Write: the journal of the state at statePath is now held
// by the state, so it is removed, or started afresh when open is the journal still open on it.
func foldJournal(fsys fileSystem, statePath string, s *State, open *FileJournal) error {
	if open != nil {
		return open.rebase(s.Serial)
	}
	if err := fsys.Remove(JournalPath(statePath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove folded journal: %w", err)
	}
	return nil
}
