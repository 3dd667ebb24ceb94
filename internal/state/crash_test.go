package state

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var errInjected = errors.New("injected fault")

// faultFS is the real file system with one fault: the step numbered at fails (each byte
// written is a step, and so is each other operation). With crash set, every step after it
// fails too, as if the process had died there: no clean-up runs. Syncs do not reach the disk:
// what is tested is what a reader sees, not durability.
type faultFS struct {
	at     int // -1: no fault
	crash  bool
	steps  int
	failed bool
}

// take accounts for an operation of n steps and returns how many of them succeed.
func (f *faultFS) take(n int) (int, error) {
	if f.failed && f.crash {
		return 0, errInjected
	}
	if n == 0 {
		n = 1
	}
	if f.at < 0 || f.failed || f.steps+n <= f.at {
		f.steps += n
		return n, nil
	}
	done := f.at - f.steps
	f.steps = f.at + 1
	f.failed = true
	return done, errInjected
}

func (f *faultFS) op() error {
	_, err := f.take(1)
	return err
}

func (f *faultFS) CreateTemp(dir, pattern string) (file, error) {
	if err := f.op(); err != nil {
		return nil, err
	}
	of, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{f: of, fs: f}, nil
}

func (f *faultFS) OpenAppend(name string) (file, error) {
	if err := f.op(); err != nil {
		return nil, err
	}
	of, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	return &faultFile{f: of, fs: f}, nil
}

func (f *faultFS) Link(o, n string) error {
	if err := f.op(); err != nil {
		return err
	}
	return os.Link(o, n)
}

func (f *faultFS) Rename(o, n string) error {
	if err := f.op(); err != nil {
		return err
	}
	return os.Rename(o, n)
}

func (f *faultFS) Remove(name string) error {
	if err := f.op(); err != nil {
		return err
	}
	return os.Remove(name)
}

func (f *faultFS) SyncDir(string) error { return f.op() }

type faultFile struct {
	f  *os.File
	fs *faultFS
}

func (w *faultFile) Write(p []byte) (int, error) {
	n, err := w.fs.take(len(p))
	n = min(n, len(p))
	if n > 0 {
		if _, werr := w.f.Write(p[:n]); werr != nil {
			return 0, werr
		}
	}
	return n, err
}

func (w *faultFile) Sync() error { return w.fs.op() }

func (w *faultFile) Close() error {
	err := w.fs.op()
	w.f.Close() // the descriptor goes in any case, as it does when a process dies
	return err
}

func (w *faultFile) Name() string { return w.f.Name() }

// TestWriteFaultAtEveryStep stops Write at every step and every byte, both as a failing
// operation (the error path runs) and as a crash (nothing runs after it), with a journal
// beside the old state. Whatever the step, reading the state afterwards gives exactly the
// groups of the new state (the old file with its journal replayed, or the new file), the
// file at the path is always whole, and a clean Write afterwards succeeds.
func TestWriteFaultAtEveryStep(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.state.json")

	// The old state on disk, and a journal of an apply that bought more.
	base := &State{FormatVersion: FormatVersion, Lineage: testLineage, Fleet: "prod", Region: "ap-guangzhou"}
	small := func(b *Batch) *Batch {
		b.Params = map[string]string{"cpu": "2", "password": hashedPassword}
		return b
	}
	base.Apply(JournalRecord{Group: "web", Batch: small(doneBatch(0, "ins-0000web0"))})
	if err := Write(path, base); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path, base)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []JournalRecord{
		{Group: "db", Batch: small(pendingBatch(0, 1))},
		{Group: "db", Batch: small(doneBatch(0, "ins-00000db0"))},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	files := snapshot(t, dir)
	want, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	oldSerial := want.Serial

	// Count the steps of a write that does not fail.
	counter := &faultFS{at: -1}
	s, _ := Read(path)
	if err := writeState(counter, path, s); err != nil {
		t.Fatal(err)
	}
	total := counter.steps
	t.Logf("a write takes %d steps", total)
	if total < 100 {
		t.Fatalf("a write takes only %d steps; the fault injection is not reaching the bytes", total)
	}

	for _, crash := range []bool{false, true} {
		for at := 0; at < total; at++ {
			restore(t, dir, files)
			s, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			ffs := &faultFS{at: at, crash: crash}
			werr := writeState(ffs, path, s)
			if !ffs.failed {
				t.Fatalf("crash=%v at=%d: the fault was not reached", crash, at)
			}
			if werr != nil && !errors.Is(werr, errInjected) {
				t.Fatalf("crash=%v at=%d: error %v does not wrap the fault", crash, at, werr)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatalf("crash=%v at=%d: state unreadable after a failed write: %v", crash, at, err)
			}
			if got.Serial != oldSerial && got.Serial != oldSerial+1 {
				t.Fatalf("crash=%v at=%d: serial %d, want %d or %d", crash, at, got.Serial, oldSerial, oldSerial+1)
			}
			if !reflect.DeepEqual(want.Groups, got.Groups) {
				d := cmp.Diff(want.Groups, got.Groups)
				t.Fatalf("crash=%v at=%d: groups after the fault (-want +got):\n%s", crash, at, d)
			}
			if werr == nil {
				// The fault hit a step with a fallback (a hard link, copied instead).
				if got.Serial != oldSerial+1 {
					t.Fatalf("crash=%v at=%d: Write succeeded but the serial on disk is %d", crash, at, got.Serial)
				}
				if b, _ := os.ReadFile(path + ".backup"); string(b) != string(files["fleet.state.json"]) {
					t.Fatalf("crash=%v at=%d: Write succeeded but the backup is not the old state", crash, at)
				}
			}
			if !crash {
				if s.Serial != got.Serial {
					t.Fatalf("at=%d: in-memory serial %d, on disk %d", at, s.Serial, got.Serial)
				}
				if !strings.Contains(werrString(werr), path) && werr != nil {
					t.Fatalf("at=%d: error %q does not name the state", at, werr)
				}
				if got.Serial == oldSerial {
					assertNoTemp(t, dir)
				}
			}
			if at%64 != 0 {
				continue
			}
			// The next run writes cleanly over whatever was left.
			if err := writeState(&faultFS{at: -1}, path, got); err != nil {
				t.Fatalf("crash=%v at=%d: write after the fault: %v", crash, at, err)
			}
			again, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want.Groups, again.Groups); d != "" {
				t.Fatalf("crash=%v at=%d: groups after a clean write (-want +got):\n%s", crash, at, d)
			}
		}
	}
}

func werrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// snapshot returns the files of dir by name.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = data
	}
	return m
}

// restore makes dir hold exactly the files of a snapshot.
func restore(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}
}
