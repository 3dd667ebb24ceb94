package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"fleet/internal/pgtest"
	"fleet/internal/state"
	"fleet/internal/state/statetest"
)

// srv is the throwaway server of this package's tests.
var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

var dbs atomic.Int64

// newDatabase returns the URL of a new, empty database of the test server.
func newDatabase(t *testing.T) string {
	t.Helper()
	u, err := srv.NewDatabase(fmt.Sprintf("t%d_%d", os.Getpid(), dbs.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func open(t *testing.T, url, schema, fleet string) *Store {
	t.Helper()
	s, err := Open(url, schema, fleet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	u := newDatabase(t)
	statetest.Run(t, func(t *testing.T, fleet string) state.Store {
		s, err := Open(u, "", fleet)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestSchemas keeps fleets of one name in two schemas apart.
func TestSchemas(t *testing.T) {
	ctx := context.Background()
	u := newDatabase(t)
	a, b := open(t, u, "team_a", "prod"), open(t, u, "team_b", "prod")
	la := mustLock(t, a)
	lb := mustLock(t, b) // another schema: another lock
	st := statetest.Sample("prod")
	if err := a.Write(ctx, st, state.Change{Operation: "apply"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Read(ctx); !errors.Is(err, state.ErrNoState) {
		t.Errorf("read of another schema: got %v, want ErrNoState", err)
	}
	_ = la.Unlock()
	_ = lb.Unlock()
}

func mustLock(t *testing.T, s *Store) state.Lock {
	t.Helper()
	l, err := s.Lock(context.Background(), "apply", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// backendPID returns the database session that holds the store's lock.
func backendPID(t *testing.T, s *Store) int32 {
	t.Helper()
	var pid int32
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.conn.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestFencing kills the session that holds the lock in the middle of an apply: the journal
// takes nothing more, a second process takes the lock, and the first cannot write a row.
func TestFencing(t *testing.T) {
	ctx := context.Background()
	u := newDatabase(t)
	first := open(t, u, "", "prod")
	l1 := mustLock(t, first)
	st := statetest.Sample("prod")
	if err := first.Write(ctx, st, state.Change{Operation: "apply"}); err != nil {
		t.Fatal(err)
	}
	j, err := first.OpenJournal(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(state.JournalRecord{Group: "api", Batch: statetest.Pending(0, 2, "api")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Exec(fmt.Sprintf("SELECT pg_terminate_backend(%d)", backendPID(t, first))); err != nil {
		t.Fatal(err)
	}
	second := open(t, u, "", "prod")
	l2 := mustLock(t, second)
	err = j.Append(state.JournalRecord{Group: "api", Batch: statetest.Done(0, "api", "ins-000api00")})
	if !errors.Is(err, state.ErrLockLost) {
		t.Errorf("append after the lock's session was killed: got %v, want ErrLockLost", err)
	}
	if err := first.Write(ctx, st, state.Change{Operation: "apply"}); !errors.Is(err, state.ErrLockLost) {
		t.Errorf("write after the lock's session was killed: got %v, want ErrLockLost", err)
	}
	got, err := second.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Journaled != 1 || got.Serial != st.Serial || len(got.Group("api").PendingBatches()) != 1 {
		t.Errorf("the second process reads serial %d with %d records; want serial %d with the one pending record", got.Serial, got.Journaled, st.Serial)
	}
	_ = l1.Unlock()
	_ = l2.Unlock()
}

// TestStaleGeneration takes the lock away by raising the generation behind the holder's
// back (as a force-unlock and a new holder would): every write of the first is refused.
func TestStaleGeneration(t *testing.T) {
	ctx := context.Background()
	u := newDatabase(t)
	s := open(t, u, "", "prod")
	l := mustLock(t, s)
	defer l.Unlock()
	st := statetest.Sample("prod")
	j, err := s.OpenJournal(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "UPDATE fleet.locks SET generation = generation + 1 WHERE fleet = 'prod'"); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(state.JournalRecord{Group: "web", Batch: statetest.Pending(5, 1, "web")}); !errors.Is(err, state.ErrLockLost) {
		t.Errorf("append with a stale generation: got %v, want ErrLockLost", err)
	}
	if err := s.Write(ctx, st, state.Change{Operation: "apply"}); !errors.Is(err, state.ErrLockLost) {
		t.Errorf("write with a stale generation: got %v, want ErrLockLost", err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM fleet.journal").Scan(&n); err != nil || n != 0 {
		t.Errorf("journal rows: got %d (%v), want none", n, err)
	}
}

// TestRestart restarts the server (immediate: a crash) while a store holds the lock: writes
// fail, nothing is lost of what was committed, and a new store carries on.
func TestRestart(t *testing.T) {
	if srv.Dir == "" {
		t.Skip("an external server cannot be restarted") // only with FLEET_TEST_PG_URL
	}
	ctx := context.Background()
	u := newDatabase(t)
	s := open(t, u, "", "prod")
	l := mustLock(t, s)
	st := statetest.Sample("prod")
	j, err := s.OpenJournal(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	rec := state.JournalRecord{Group: "api", Batch: statetest.Pending(0, 3, "api")}
	if err := j.Append(rec); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart("immediate"); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(state.JournalRecord{Group: "api", Batch: statetest.Done(0, "api", "ins-000api00")}); err == nil {
		t.Error("append after a restart succeeded")
	}
	_ = l.Unlock()
	s2 := open(t, u, "", "prod")
	l2 := mustLock(t, s2)
	defer l2.Unlock()
	got, err := s2.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Group("api").PendingBatches()) != 1 {
		t.Errorf("after a restart: want the pending record kept, got %+v", got.Group("api"))
	}
}

// TestNewerSchema refuses tables made by a newer fleet, and changes nothing.
func TestNewerSchema(t *testing.T) {
	ctx := context.Background()
	u := newDatabase(t)
	s := open(t, u, "", "prod")
	if _, err := s.Read(ctx); !errors.Is(err, state.ErrNoState) {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "UPDATE fleet.meta SET version = 99"); err != nil {
		t.Fatal(err)
	}
	_, err = open(t, u, "", "prod").Read(ctx)
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "upgrade fleet") {
		t.Errorf("read of a newer schema: got %v", err)
	}
}

// TestLockedNamesHolder waits for the lock, then names the holder.
func TestLockedNamesHolder(t *testing.T) {
	ctx := context.Background()
	u := newDatabase(t)
	a := open(t, u, "", "prod")
	l, err := a.Lock(ctx, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	start := time.Now()
	_, err = open(t, u, "", "prod").Lock(ctx, "plan", 300*time.Millisecond)
	var le *state.LockedError
	if !errors.As(err, &le) || le.Holder == nil || le.Holder.Operation != "apply" {
		t.Fatalf("second lock: got %v, want a LockedError naming the apply", err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Errorf("the second lock did not wait for --lock-timeout")
	}
	if !strings.Contains(err.Error(), "postgres") {
		t.Errorf("message does not say where the lock is: %v", err)
	}
}

// TestPasswordNeverShown connects with a wrong password and to a missing database: the
// errors say what is wrong and never show the password.
func TestPasswordNeverShown(t *testing.T) {
	ctx := context.Background()
	if err := srv.Exec("DO $$ BEGIN CREATE ROLE secretive LOGIN PASSWORD 'Right-Pw-1'; EXCEPTION WHEN duplicate_object THEN NULL; END $$"); err != nil {
		t.Fatal(err)
	}
	if srv.Dir != "" {
		if err := srv.RequirePassword("secretive"); err != nil {
			t.Fatal(err)
		}
	}
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, pw, db string
	}{
		{"secretive", "Wr0ng-S3cret-Pw", "fleet"},
		{"fleet", "An0ther-S3cret", "no_such_db"},
	} {
		u := *base
		u.User = url.UserPassword(tc.user, tc.pw)
		u.Path = "/" + tc.db
		s, err := Open(u.String(), "", "prod")
		if err != nil {
			if strings.Contains(err.Error(), tc.pw) {
				t.Errorf("Open error shows the password: %v", err)
			}
			continue
		}
		_, err = s.Read(ctx)
		_ = s.Close()
		if err == nil {
			if srv.Dir == "" && tc.db == "fleet" {
				continue // an external server may trust any password
			}
			t.Fatalf("read as %s with a wrong password from %s succeeded", tc.user, tc.db)
		}
		if strings.Contains(err.Error(), tc.pw) {
			t.Errorf("error shows the password: %v", err)
		}
		if tc.user == "secretive" && !strings.Contains(err.Error(), "password authentication failed") {
			t.Errorf("wrong password: got %v", err)
		}
		if tc.db == "no_such_db" && !strings.Contains(err.Error(), "no_such_db") {
			t.Errorf("missing database: got %v", err)
		}
	}
}

// TestUnreachable fails fast and clearly on a port nobody listens on.
func TestUnreachable(t *testing.T) {
	s, err := Open("postgres://fleet:Pw-123456@127.0.0.1:1/fleet?sslmode=disable&connect_timeout=2", "", "prod")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Read(context.Background())
	if err == nil || strings.Contains(err.Error(), "Pw-123456") || !strings.Contains(err.Error(), "connect") {
		t.Errorf("read from an unreachable server: got %v", err)
	}
}

// TestForceUnlock refuses while the holder lives, and ends a session whose process is gone.
func TestForceUnlock(t *testing.T) {
	ctx := context.Background()
	u := newDatabase(t)
	a := open(t, u, "", "prod")
	l := mustLock(t, a)
	defer l.Unlock()
	b := open(t, u, "", "prod")
	var alive *state.HolderAliveError
	if err := b.ForceUnlock(ctx); !errors.As(err, &alive) {
		t.Fatalf("force-unlock of a live holder: got %v", err)
	}
	// The holder row now names a process that does not exist on this host.
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "UPDATE fleet.locks SET pid = 999999999 WHERE fleet = 'prod'"); err != nil {
		t.Fatal(err)
	}
	if err := b.ForceUnlock(ctx); err != nil {
		t.Fatalf("force-unlock of a dead holder's session: %v", err)
	}
	l2, err := b.Lock(ctx, "apply", 5*time.Second)
	if err != nil {
		t.Fatalf("lock after force-unlock: %v", err)
	}
	_ = l2.Unlock()
}
