package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// FormatError reports a state or journal file that cannot be used: it is malformed, of a
// format version this build does not read, or breaks an invariant. Such a file is never
// overwritten.
type FormatError struct {
	Path string // the file
	Pos  string // "line L, column C" when known
	Err  error
}

func (e *FormatError) Error() string {
	if e.Pos != "" {
		return fmt.Sprintf("read %s: %s: %v", e.Path, e.Pos, e.Err)
	}
	return fmt.Sprintf("read %s: %v", e.Path, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// ErrNewerVersion is wrapped by the error of a file written by a newer fleet.
var ErrNewerVersion = errors.New("written by a newer version of fleet")

// Read reads the state file at path strictly and replays onto it the journal beside it
// (JournalPath), if there is one. A missing state file gives an error for which
// errors.Is(err, fs.ErrNotExist) holds, unless a journal exists: then the journal is
// replayed onto a new state of the lineage its header names. Every problem is an error that
// names the file; a *FormatError when the file's content is at fault.
func Read(path string) (*State, error) {
	s, err := read(path)
	if err != nil {
		return nil, err
	}
	s.Version = fileVersion(s)
	return s, nil
}

// fileVersion is the identity of a state read from a file: its serial and the number of
// journal records replayed onto it.
func fileVersion(s *State) string {
	return strconv.FormatUint(s.Serial, 10) + "+" + strconv.Itoa(s.Journaled)
}

func read(path string) (*State, error) {
	var s *State
	f, err := os.Open(path)
	switch {
	case err == nil:
		if s, err = readStateFile(path, f); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		jf, jerr := readJournal(JournalPath(path))
		if jerr != nil && !errors.Is(jerr, fs.ErrNotExist) {
			return nil, jerr
		}
		if jerr != nil || jf.header == nil {
			return nil, fmt.Errorf("read state: %w", err)
		}
		h := jf.header
		s = &State{FormatVersion: FormatVersion, Lineage: h.Lineage, Serial: h.Serial, Fleet: h.Fleet, Region: h.Region, Groups: map[string]*Group{}}
		if err := replayJournal(path, s, jf); err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("read state: %w", err)
	}
	jf, err := readJournal(JournalPath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := replayJournal(path, s, jf); err != nil {
		return nil, err
	}
	return s, nil
}

// replayJournal applies the journal's records onto s, which was read from the state file
// at path, unless the journal is older than the state (it was folded in before a crash
// kept it from being removed).
func replayJournal(path string, s *State, jf *journalFile) error {
	h := jf.header
	if h == nil {
		return nil
	}
	if h.Lineage != s.Lineage {
		return &FormatError{Path: jf.path, Err: fmt.Errorf("journal of another state (lineage %s; %s has lineage %s): it records purchases of that state; restore that state, or move the journal away once its purchases are accounted for", h.Lineage, path, s.Lineage)}
	}
	if s.Serial > h.Serial {
		return nil
	}
	for _, r := range jf.recs {
		s.Apply(r)
	}
	s.Journaled += len(jf.recs)
	if err := s.Validate(); err != nil {
		return &FormatError{Path: jf.path, Err: fmt.Errorf("state after replay: %w", err)}
	}
	return nil
}

var errTrailing = errors.New("unexpected data after the state")

// decodeState decodes and checks a state file's bytes: through fastDecode when the file is
// in the form it accepts (every file Write makes), else through encoding/json.
func decodeState(path string, data []byte) (*State, error) {
	if s, ok := fastDecode(data); ok {
		return checkState(path, s)
	}
	return decodeStrict(path, data)
}

// decodeStrict decodes and checks a state file's bytes with encoding/json, rejecting unknown
// fields, and says what is wrong and where.
func decodeStrict(path string, data []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		// A file of another version may fail to decode: say so rather than name a field.
		if v, ok := sniffVersion(data); ok {
			if verr := checkVersion(v); verr != nil {
				return nil, &FormatError{Path: path, Err: verr}
			}
		}
		return nil, jsonError(path, data, dec, err)
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(data[off:])) > 0 {
		return nil, &FormatError{Path: path, Pos: position(data, off), Err: errTrailing}
	}
	return checkState(path, &s)
}

// checkState checks the version and invariants of a decoded state and normalizes it.
func checkState(path string, s *State) (*State, error) {
	if err := checkVersion(s.FormatVersion); err != nil {
		return nil, &FormatError{Path: path, Err: err}
	}
	s.normalize()
	if err := s.Validate(); err != nil {
		return nil, &FormatError{Path: path, Err: err}
	}
	return s, nil
}

// checkVersion accepts the format versions this build reads.
func checkVersion(v string) error {
	switch v {
	case FormatVersion:
		return nil
	case "":
		return errors.New("no format_version: not a fleet state file")
	}
	major, minor, ok := strings.Cut(v, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if ok && err1 == nil && err2 == nil && (ma > 1 || ma == 1 && mi > 0) {
		return fmt.Errorf("format version %s is %w; this one reads %s: upgrade fleet", v, ErrNewerVersion, FormatVersion)
	}
	return fmt.Errorf("unknown format version %q (this fleet reads %s)", v, FormatVersion)
}

// sniffVersion finds the top-level format_version of a JSON object without decoding the
// rest, so that it works on files that do not decode.
func sniffVersion(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "", false
		}
		if t == "format_version" {
			var v string
			if json.Unmarshal(raw, &v) != nil {
				return "", false
			}
			return v, true
		}
	}
	return "", false
}

// jsonError turns a decoding error into a FormatError with the position and a message that
// says what is wrong in the user's terms.
func jsonError(path string, data []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &FormatError{Path: path, Err: errors.New("empty file")}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &FormatError{Path: path, Err: errors.New("unexpected end of file: the file is truncated")}
	case errors.As(err, &syn):
		return &FormatError{Path: path, Pos: position(data, syn.Offset-1), Err: fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(syn.Error(), "json: "))}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the state"
		}
		return &FormatError{Path: path, Pos: position(data, typ.Offset), Err: fmt.Errorf("%s: got a JSON %s, want %s", field, typ.Value, typeName(typ.Type))}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		if name, err := strconv.Unquote(name); err == nil {
			if off, ok := findKey(data, name); ok {
				return &FormatError{Path: path, Pos: position(data, off), Err: errors.New(msg)}
			}
		}
	}
	return &FormatError{Path: path, Err: errors.New(msg)}
}

// findKey returns the offset of the first object key named name in data, for the position
// of an unknown field (the decoder does not give it).
func findKey(data []byte, name string) (int64, bool) {
	type frame struct{ obj, key bool } // key: the next token of this object is a key
	var stack []frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].key = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		t, err := dec.Token()
		if err != nil {
			return 0, false
		}
		n := len(stack)
		d, isDelim := t.(json.Delim)
		switch {
		case isDelim && (d == '}' || d == ']'):
			if n == 0 {
				return 0, false
			}
			stack = stack[:n-1]
			valueDone()
		case n > 0 && stack[n-1].obj && stack[n-1].key:
			if t == name {
				return start + int64(bytes.IndexByte(data[start:], '"')), true
			}
			stack[n-1].key = false
		case isDelim:
			stack = append(stack, frame{obj: d == '{', key: d == '{'})
		default:
			valueDone()
		}
	}
}

// typeName names a Go type for a user reading a JSON file.
func typeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		if t.String() == "time.Time" {
			return "an RFC 3339 time"
		}
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return typeName(t.Elem())
	}
	return t.String()
}

// position returns "line L, column C" of a byte offset in data.
func position(data []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Write saves s at path: its serial goes up by one, the bytes are canonical, and the file
// is replaced atomically (a temporary file in the same directory, fsync, rename, fsync of
// the directory), the previous version kept as path+".backup". Whatever fails when, the file
// at path is the old state or the new one, never something that cannot be read. After the
// new state is durable the journal beside it, now folded in, is removed (or, if this
// process has it open, started afresh). On an error before the rename s keeps its serial.
func Write(path string, s *State) error {
	return writeState(osFS{}, path, s)
}

func writeState(fsys fileSystem, path string, s *State) error {
	return writeStateJournal(fsys, path, s, nil)
}

// writeStateJournal is Write with the journal still open on the state, if any, which is
// started afresh rather than removed.
func writeStateJournal(fsys fileSystem, path string, s *State, open *FileJournal) error {
	s.FormatVersion = FormatVersion
	s.normalize()
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write state %s: invalid state: %w", path, err)
	}
	s.Serial++
	if err := replaceState(fsys, path, s); err != nil {
		s.Serial--
		return fmt.Errorf("write state %s: %w", path, err)
	}
	// The new state is visible; make the rename durable before the journal goes away.
	if err := fsys.SyncDir(dirOf(path)); err != nil {
		return fmt.Errorf("write state %s: sync directory: %w", path, err)
	}
	if err := foldJournal(fsys, path, s, open); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	s.Journaled = 0 // every replayed record is now in the file
	s.Version = fileVersion(s)
	return nil
}

// replaceState writes the new file, keeps the old one as a backup and renames the new one
// into place. Until the rename, the old file is untouched.
func replaceState(fsys fileSystem, path string, s *State) error {
	data, err := encodeState(s)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	dir := dirOf(path)
	tmp, err := writeTemp(fsys, dir, "."+filepath.Base(path)+".tmp-*", data)
	if err != nil {
		return err
	}
	if err := keepBackup(fsys, path); err != nil {
		_ = fsys.Remove(tmp)
		return err
	}
	if err := fsys.Rename(tmp, path); err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}

// writeTemp writes data to a new file in dir and makes it durable. It returns the file's
// name; on an error nothing is left behind.
func writeTemp(fsys fileSystem, dir, pattern string, data []byte) (string, error) {
	f, err := fsys.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", err)
	}
	name := f.Name()
	fail := func(op string, err error) (string, error) {
		_ = f.Close()
		_ = fsys.Remove(name)
		// The temporary file is gone: name the directory, not a file the user cannot find.
		return "", fmt.Errorf("%s a temporary file in %s (removed again): %w", op, dir, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail("write", err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := f.Close(); err != nil {
		_ = fsys.Remove(name)
		return "", fmt.Errorf("close a temporary file in %s (removed again): %w", dir, err)
	}
	return name, nil
}

// keepBackup makes path+".backup" a copy of the current file at path, if there is one: a
// hard link where the file system allows it, else a copy. The backup is replaced by rename,
// so it too is always a whole file.
func keepBackup(fsys fileSystem, path string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	backup := path + ".backup"
	link := backup + ".tmp"
	if _, err := os.Lstat(link); err == nil {
		_ = fsys.Remove(link) // left by a crash
	}
	if err := fsys.Link(path, link); err == nil {
		if err := fsys.Rename(link, backup); err != nil {
			_ = fsys.Remove(link)
			return fmt.Errorf("keep backup: %w", err)
		}
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("keep backup: %w", err)
	}
	tmp, err := writeTemp(fsys, dirOf(path), "."+filepath.Base(backup)+".tmp-*", data)
	if err != nil {
		return fmt.Errorf("keep backup: %w", err)
	}
	if err := fsys.Rename(tmp, backup); err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("keep backup: %w", err)
	}
	return nil
}
