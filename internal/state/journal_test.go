package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestJournalPath(t *testing.T) {
	for in, want := range map[string]string{
		"fleet.state.json":          "fleet.state.journal",
		"dir/fleet.state.json":      "dir/fleet.state.journal",
		"prod.json":                 "prod.journal",
		"state":                     "state.journal",
		"/abs/x.y/fleet.state.json": "/abs/x.y/fleet.state.journal",
	} {
		if got := JournalPath(in); got != want {
			t.Errorf("JournalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// applyRecords is the record sequence of a small apply: one call resolved, one still pending.
func applyRecords() []JournalRecord {
	return []JournalRecord{
		{Group: "api", Batch: pendingBatch(0, 2)},
		{Group: "web", Batch: pendingBatch(3, 1)},
		{Group: "api", Batch: doneBatch(0, "ins-0000api1", "ins-0000api0")},
	}
}

// journaled writes base as the state, then journals recs without folding them in (as an
// apply that died), and returns the state path and the expected state after replay.
func journaled(t *testing.T, base *State, recs []JournalRecord) (string, *State) {
	t.Helper()
	path := statePath(t)
	if err := Write(path, base); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(recs...); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	want := cloneState(t, base)
	for _, r := range recs {
		want.Apply(r)
	}
	return path, want
}

// cloneState returns a deep copy of s through its encoding.
func cloneState(t *testing.T, s *State) *State {
	t.Helper()
	data, err := encodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := decodeState("clone", data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJournalReplay(t *testing.T) {
	path, want := journaled(t, sampleState(), applyRecords())
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, ignoreJournaled); d != "" {
		t.Errorf("replayed state (-want +got):\n%s", d)
	}
	if n := got.Group("api").Current(); n != 2 {
		t.Errorf("api has %d current instances, want 2", n)
	}
	if n := len(got.Group("web").PendingBatches()); n != 2 {
		t.Errorf("web has %d pending batches, want 2", n)
	}
}

func TestJournalTornLastLine(t *testing.T) {
	path, want := journaled(t, sampleState(), applyRecords())
	jp := JournalPath(path)
	data, _ := os.ReadFile(jp)
	full := []byte(`{"group":"db","batch":{"seq":1,"kind":"run","goods_num":1,"status":"pending","deal_ids":[],"instance_ids":[],"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z"}}`)
	for n := 1; n < len(full); n += 5 {
		writeFile(t, jp, append(bytes.Clone(data), full[:n]...))
		got, err := Read(path)
		if err != nil {
			t.Fatalf("torn line of %d bytes: %v", n, err)
		}
		if d := cmp.Diff(want, got, ignoreJournaled); d != "" {
			t.Fatalf("torn line of %d bytes: state (-want +got):\n%s", n, d)
		}
	}
	// Complete, the same line counts.
	writeFile(t, jp, append(append(bytes.Clone(data), full...), '\n'))
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Group("db").Batch(1) == nil {
		t.Errorf("the completed line was not replayed")
	}
}

func TestJournalCorrupt(t *testing.T) {
	path, _ := journaled(t, sampleState(), applyRecords())
	jp := JournalPath(path)
	data, _ := os.ReadFile(jp)
	lines := strings.SplitAfter(string(data), "\n")
	set := func(i int, s string) string {
		l := append([]string(nil), lines...)
		l[i] = s
		return strings.Join(l, "")
	}
	cases := []struct{ name, data, want string }{
		{"corrupt middle line", set(2, "{\"group\":\"web\",\"ba\n"), "line 3: invalid record"},
		{"blank middle line", set(2, "\n"), "line 3: invalid record"},
		{"unknown record field", set(1, strings.Replace(lines[1], `{"group"`, `{"colour":1,"group"`, 1)), `line 2: invalid record: unknown field "colour"`},
		{"unknown status", set(1, strings.Replace(lines[1], `"status":"pending"`, `"status":"maybe"`, 1)), `line 2: group "api": batch 0: unknown status "maybe"`},
		{"no batch", set(1, "{\"group\":\"api\"}\n"), `line 2: record of group "api" without a batch`},
		{"no group", set(1, strings.Replace(lines[1], `"group":"api"`, `"group":""`, 1)), "line 2: record without a group"},
		{"secret", set(1, strings.Replace(lines[1], hashedPassword, "plain-password-1", 1)), "secret in clear"},
		{"bad header", set(0, "{\"format_version\":\"1.0\"\n"), "line 1: journal header"},
		{"future header", set(0, strings.Replace(lines[0], `"1.0"`, `"3.1"`, 1)), "newer version of fleet"},
		{"other lineage", set(0, strings.Replace(lines[0], testLineage, "00000000-0000-4000-8000-000000000000", 1)), "journal of another state"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, jp, []byte(tc.data))
			_, err := Read(path)
			if err == nil {
				t.Fatal("Read succeeded, want an error")
			}
			for _, w := range []string{jp, tc.want} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %q is fs.ErrNotExist", err)
			}
		})
	}
}

// TestJournalReplayIdempotent covers a crash between the rename of a new state and the
// removal of the journal: the journal is still there, and reading gives the same state.
func TestJournalReplayIdempotent(t *testing.T) {
	path, want := journaled(t, sampleState(), applyRecords())
	jp := JournalPath(path)
	journal, _ := os.ReadFile(jp)

	s, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range applyRecords() {
		s.Apply(r) // a second time
	}
	if d := cmp.Diff(want, s, ignoreJournaled); d != "" {
		t.Errorf("records applied twice (-want +got):\n%s", d)
	}
	if err := Write(path, s); err != nil {
		t.Fatal(err)
	}
	writeFile(t, jp, journal) // the removal never happened
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want.Serial++
	if d := cmp.Diff(want, got, ignoreJournaled); d != "" {
		t.Errorf("folded journal replayed again (-want +got):\n%s", d)
	}

	// The journal is older than the state: a group removed since is not brought back.
	got.RemoveGroup("api")
	if err := Write(path, got); err != nil {
		t.Fatal(err)
	}
	writeFile(t, jp, journal)
	again, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Group("api") != nil {
		t.Errorf("a stale journal brought back a removed group")
	}
}

func TestJournalMissingState(t *testing.T) {
	path := statePath(t)
	s := New("prod", "ap-guangzhou")
	j, err := OpenJournal(path, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(applyRecords()...); err != nil {
		t.Fatal(err)
	}
	// No Close, no Write: the process died.
	got, err := Read(path)
	if err != nil {
		t.Fatalf("Read of a journal without its state: %v", err)
	}
	want := &State{FormatVersion: FormatVersion, Lineage: s.Lineage, Fleet: "prod", Region: "ap-guangzhou", Groups: map[string]*Group{}}
	for _, r := range applyRecords() {
		want.Apply(r)
	}
	if d := cmp.Diff(want, got, ignoreJournaled); d != "" {
		t.Errorf("state from the journal (-want +got):\n%s", d)
	}
	j.Close()

	// A journal cut short before its header was whole holds nothing.
	writeFile(t, JournalPath(path), []byte(`{"format_version":"1.0","lin`))
	if _, err := Read(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read with only a torn journal header: got %v, want fs.ErrNotExist", err)
	}
}

// TestOpenJournalCarriesRecords opens a journal where an earlier apply left one, with a torn
// last line: its records are kept, the torn bytes dropped, and new records follow cleanly.
func TestOpenJournalCarriesRecords(t *testing.T) {
	path, want := journaled(t, sampleState(), applyRecords())
	jp := JournalPath(path)
	f, err := os.OpenFile(jp, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"group":"api","batch":{"seq":`)
	f.Close()

	s, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path, s)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	more := JournalRecord{Group: "web", Batch: doneBatch(3, "ins-0000web9")}
	if err := j.Append(more); err != nil {
		t.Fatal(err)
	}
	want.Apply(more)
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, ignoreJournaled); d != "" {
		t.Errorf("state (-want +got):\n%s", d)
	}
	store, err := NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	j1, err := store.OpenJournal(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer j1.Close()
	if _, err := store.OpenJournal(context.Background(), s); err == nil || !strings.Contains(err.Error(), "already open") {
		t.Errorf("second OpenJournal of one store: got %v, want an error", err)
	}
}

// TestWriteWhileJournalOpen saves the state during an apply: the journal is started afresh
// for the new serial, keeping its records, so one appended after the save is not lost.
func TestWriteWhileJournalOpen(t *testing.T) {
	ctx := context.Background()
	path := statePath(t)
	s := sampleState()
	if err := Write(path, s); err != nil {
		t.Fatal(err)
	}
	store, err := NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := store.OpenJournal(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r1 := JournalRecord{Group: "api", Batch: doneBatch(0, "ins-0000api0")}
	if err := j.Append(r1); err != nil {
		t.Fatal(err)
	}
	s.Apply(r1)
	if err := store.Write(ctx, s, Change{Operation: "apply"}); err != nil {
		t.Fatal(err)
	}
	r2 := JournalRecord{Group: "api", Batch: doneBatch(1, "ins-0000api1")}
	if err := j.Append(r2); err != nil {
		t.Fatal(err)
	}
	// The process dies here, before folding r2 in.
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := cloneState(t, s)
	want.Apply(r2)
	if d := cmp.Diff(want, got, ignoreJournaled); d != "" {
		t.Errorf("state (-want +got):\n%s", d)
	}
}

func TestJournalAppendChecks(t *testing.T) {
	path := statePath(t)
	s := New("prod", "ap-guangzhou")
	j, err := OpenJournal(path, s)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(JournalPath(path))
	b := doneBatch(0, "ins-0000web0")
	b.Params["password"] = "Clear-Text-1"
	for _, r := range []JournalRecord{{Group: "web", Batch: b}, {Group: "web"}, {Batch: doneBatch(0)}} {
		if err := j.Append(r); err == nil {
			t.Errorf("Append(%+v) succeeded, want an error", r)
		}
	}
	after, _ := os.ReadFile(JournalPath(path))
	if !bytes.Equal(before, after) {
		t.Errorf("a refused record reached the journal:\n%s", after)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(JournalRecord{Group: "web", Batch: doneBatch(0)}); !errors.Is(err, ErrJournalClosed) {
		t.Errorf("Append after Close: got %v, want ErrJournalClosed", err)
	}
}

// TestJournalStickyError fails the journal's write: that Append and every later one fail,
// and nothing follows the failed bytes in the file.
func TestJournalStickyError(t *testing.T) {
	path := statePath(t)
	s := New("prod", "ap-guangzhou")
	ffs := &faultFS{at: -1}
	j, err := openJournal(ffs, path, s)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ffs.at = ffs.steps + 10 // ten bytes into the next write
	err1 := j.Append(applyRecords()[0])
	if !errors.Is(err1, errInjected) {
		t.Fatalf("Append through a failing write: got %v", err1)
	}
	size := fileSize(t, JournalPath(path))
	err2 := j.Append(applyRecords()[1])
	if !errors.Is(err2, errInjected) {
		t.Errorf("Append after a failure: got %v, want the first error", err2)
	}
	if got := fileSize(t, JournalPath(path)); got != size {
		t.Errorf("journal grew from %d to %d bytes after a failure", size, got)
	}
	// The torn bytes are ignored by a reader.
	if _, err := Read(path); err != nil {
		t.Errorf("Read after a failed append: %v", err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestJournalGroupCommit holds the first commit in its sync until every other goroutine has
// queued its record: the rest then go out in one write and one sync.
func TestJournalGroupCommit(t *testing.T) {
	const n = 32
	path := statePath(t)
	s := New("prod", "ap-guangzhou")
	j, err := OpenJournal(path, s)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	j.onSync = func() {
		once.Do(func() {
			for {
				j.mu.Lock()
				queued := 0
				if j.queue != nil {
					queued = len(j.queue.recs)
				}
				j.mu.Unlock()
				if queued == n-1 {
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- j.Append(JournalRecord{Group: fmt.Sprintf("g%02d", i), Batch: doneBatch(0, fmt.Sprintf("ins-%08d", i))})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if j.commits != 2 {
		t.Errorf("%d records took %d commits, want 2", n, j.commits)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Groups) != n || got.InstanceCount() != n {
		t.Errorf("replay gave %d groups and %d instances, want %d each", len(got.Groups), got.InstanceCount(), n)
	}
}

// TestJournalConcurrentAppends appends from many goroutines with several records a call and
// checks that every record is in the journal, whole, and that calls were coalesced.
func TestJournalConcurrentAppends(t *testing.T) {
	const workers, calls = 16, 25
	path := statePath(t)
	s := New("prod", "ap-guangzhou")
	j, err := OpenJournal(path, s)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := fmt.Sprintf("g%02d", w)
			for c := range calls {
				id := fmt.Sprintf("ins-%04d%04d", w, c)
				if err := j.Append(JournalRecord{Group: g, Batch: pendingBatch(c, 1)}, JournalRecord{Group: g, Batch: doneBatch(c, id)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if j.commits > workers*calls {
		t.Errorf("%d commits for %d appends", j.commits, workers*calls)
	}
	t.Logf("%d appends in %d commits", workers*calls, j.commits)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	jf, err := readJournal(JournalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(jf.recs) != 2*workers*calls {
		t.Errorf("journal holds %d records, want %d", len(jf.recs), 2*workers*calls)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.InstanceCount() != workers*calls {
		t.Errorf("replay gave %d instances, want %d", got.InstanceCount(), workers*calls)
	}
	for _, name := range got.GroupNames() {
		if p := got.Group(name).PendingBatches(); len(p) != 0 {
			t.Errorf("group %s: %d batches still pending after replay", name, len(p))
		}
	}
}

// TestJournalRecordsCounted: Read counts the journal records it replays, so that a saved plan
// made before an interrupted apply is seen to be stale although the serial did not move; a
// journal folded in by Write counts nothing.
func TestJournalRecordsCounted(t *testing.T) {
	recs := applyRecords()
	path, _ := journaled(t, sampleState(), recs)
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.JournalRecords() != len(recs) {
		t.Errorf("JournalRecords() = %d, want %d", got.JournalRecords(), len(recs))
	}
	if err := Write(path, got); err != nil {
		t.Fatal(err)
	}
	if got.JournalRecords() != 0 {
		t.Errorf("after Write JournalRecords() = %d, want 0", got.JournalRecords())
	}
	again, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.JournalRecords() != 0 {
		t.Errorf("after the fold JournalRecords() = %d, want 0", again.JournalRecords())
	}
}

// TestReplayConflictStaysReadable replays an answer that names an instance another group
// records (imported there meanwhile): the state stays readable, with the id in both groups,
// for the plan to report.
func TestReplayConflictStaysReadable(t *testing.T) {
	base := sampleState()
	rec := JournalRecord{Group: "api", Batch: doneBatch(0, "ins-00000db0")}
	path, _ := journaled(t, base, []JournalRecord{rec})
	got, err := Read(path)
	if err != nil {
		t.Fatalf("Read of a state whose journal records an instance of another group: %v", err)
	}
	if got.Groups["api"].Instance("ins-00000db0") == nil || got.Groups["db"].Instance("ins-00000db0") == nil {
		t.Errorf("the instance is not recorded in both groups")
	}
	if err := Write(path, got); err != nil {
		t.Fatalf("Write of that state: %v", err)
	}
	if _, err := Read(path); err != nil {
		t.Fatalf("Read after Write: %v", err)
	}
}
