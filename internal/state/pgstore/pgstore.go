package pgstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"fleet/internal/state"
)

// SchemaVersion is the version of the tables this build creates and reads.
const SchemaVersion = 1

// DefaultSchema is the schema of a backend block that names none.
const DefaultSchema = "fleet"

// ErrNewerSchema is wrapped by the error of a store whose tables a newer fleet made.
var ErrNewerSchema = errors.New("made by a newer version of fleet")

// ErrPooler is wrapped by the error of Lock when the connection goes through a pooler in
// transaction mode: the advisory lock is not held by the session that takes it.
var ErrPooler = errors.New("connection pooler in transaction mode")

// Timeouts of the store's connection.
const (
	defaultConnectTimeout = 10 * time.Second
	keepAliveIdle         = 10 * time.Second
	keepAliveInterval     = 5 * time.Second
	keepAliveCount        = 3
	lockPoll              = 100 * time.Millisecond
	writeTimeout          = time.Minute // the longest a whole-state write may take
	commitTimeout         = 30 * time.Second
)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidSchema reports whether name can be the store's schema: lower-case letters, digits
// and underscores, not starting with a digit, at most 63 characters.
func ValidSchema(name string) bool { return schemaName.MatchString(name) }

// Store is the PostgreSQL state store of one fleet.
type Store struct {
	cfg    *pgx.ConnConfig
	schema string
	fleet  string
	ident  string // the quoted schema name
	key    int64  // the advisory lock's key
	now    func() time.Time

	mu      sync.Mutex // serialises the use of conn
	conn    *pgx.Conn
	ensured bool
	gen     int64  // the fencing generation of the held lock; 0 when not locked
	holder  string // the held lock's operation
	lastID  int64  // the last journal row this store read or committed: what Write folds in
}

// Open returns the store of the fleet in schema (DefaultSchema when empty) of the database
// that connString names: a URL or key=value string; empty, or any part left out, is taken
// from the standard PG* variables (PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, ...). It does not
// connect yet.
func Open(connString, schema, fleet string) (*Store, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	if !ValidSchema(schema) {
		return nil, fmt.Errorf("postgres state: invalid schema name %q: use lower-case letters, digits and underscores", schema)
	}
	if fleet == "" {
		return nil, errors.New("postgres state: no fleet name")
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		// The string may hold a password in a form no redaction recognises: never show it.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			err = pe.Unwrap()
		}
		msg := "cannot be parsed"
		if err != nil {
			msg += ": " + scrub(err, os.Getenv("PGPASSWORD")).Error()
		}
		return nil, fmt.Errorf("postgres state: the connection string (FLEET_PG_URL and the PG* variables) %s; it is not shown, since it may hold a password", msg)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	dialer := &net.Dialer{
		Timeout: cfg.ConnectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
		},
	}
	cfg.DialFunc = dialer.DialContext
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "fleet"
	}
	h := fnv.New64a()
	h.Write([]byte("fleet-state-lock\x00" + schema + "\x00" + fleet))
	return &Store{
		cfg:    cfg,
		schema: schema,
		fleet:  fleet,
		ident:  pgx.Identifier{schema}.Sanitize(),
		key:    int64(h.Sum64()),
		now:    time.Now,
	}, nil
}

// Where names the state: database, schema and fleet. It holds no password.
func (s *Store) Where() string {
	return fmt.Sprintf("postgres %s schema %s, fleet %s", s.database(), s.schema, s.fleet)
}

// database names the server and database for messages.
func (s *Store) database() string {
	host := s.cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	} else if s.cfg.Port != 0 {
		host = net.JoinHostPort(host, strconv.Itoa(int(s.cfg.Port)))
	}
	return fmt.Sprintf("%s/%s", host, s.cfg.Database)
}

// scrub removes the password from an error's message, whatever the error says.
func scrub(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &scrubbed{msg: strings.ReplaceAll(err.Error(), password, "********"), err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// fail wraps an error of an operation for the user, without the password.
func (s *Store) fail(op string, err error) error {
	return fmt.Errorf("%s (%s): %w", op, s.Where(), scrub(err, s.cfg.Password))
}

// connect opens the store's connection if it is not open. Called with s.mu held.
func (s *Store) connect(ctx context.Context) (*pgx.Conn, error) {
	if s.conn != nil && !s.conn.IsClosed() {
		return s.conn, nil
	}
	if s.gen != 0 {
		// The connection that held the lock is gone, and the lock with it.
		return nil, s.fail("postgres state", fmt.Errorf("%w: the connection that held it closed", state.ErrLockLost))
	}
	conn, err := s.dial(ctx)
	if err != nil {
		return nil, s.fail("connect to the postgres state", err)
	}
	if !s.ensured {
		if err := s.ensure(ctx, conn); err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil, err
		}
		s.ensured = true
	}
	s.conn = conn
	return conn, nil
}

// startupWait is how long connect waits for a server that is starting up (after a restart
// or a crash) before it gives up.
const startupWait = 15 * time.Second

// dial connects, waiting while the server answers that it is starting up.
func (s *Store) dial(ctx context.Context) (*pgx.Conn, error) {
	deadline := time.Now().Add(startupWait)
	delay := 100 * time.Millisecond
	for {
		conn, err := pgx.ConnectConfig(ctx, s.cfg)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "57P03" || time.Now().After(deadline) {
			return conn, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		delay = min(2*delay, time.Second)
	}
}

// ensure checks the schema's version, and creates the tables on first use.
func (s *Store) ensure(ctx context.Context, conn *pgx.Conn) error {
	v, err := s.schemaVersion(ctx, conn)
	if err == nil {
		return s.checkVersion(v)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" && pgErr.Code != "3F000" {
		return s.fail("read the postgres state's schema version", err)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Two first uses at once: the second waits here, then finds the tables made.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.keyOf("fleet-schema")); err != nil {
			return err
		}
		for _, stmt := range s.ddl() {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, "INSERT INTO "+s.ident+".meta (id, version) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", SchemaVersion)
		return err
	})
	if err != nil {
		return s.fail("create the postgres state's tables", err)
	}
	v, err = s.schemaVersion(ctx, conn)
	if err != nil {
		return s.fail("read the postgres state's schema version", err)
	}
	return s.checkVersion(v)
}

func (s *Store) schemaVersion(ctx context.Context, conn *pgx.Conn) (int, error) {
	var v int
	err := conn.QueryRow(ctx, "SELECT version FROM "+s.ident+".meta WHERE id = 1").Scan(&v)
	return v, err
}

func (s *Store) checkVersion(v int) error {
	if v > SchemaVersion {
		return fmt.Errorf("postgres state (%s): the tables are of version %d, %w; this one knows version %d: upgrade fleet", s.Where(), v, ErrNewerSchema, SchemaVersion)
	}
	if v < 1 {
		return fmt.Errorf("postgres state (%s): the meta table holds an unknown version %d", s.Where(), v)
	}
	return nil
}

// ddl returns the statements that create the tables.
func (s *Store) ddl() []string {
	t := s.ident + "."
	return []string{
		"CREATE SCHEMA IF NOT EXISTS " + s.ident,
		"CREATE TABLE IF NOT EXISTS " + t + `meta (
			id integer PRIMARY KEY CHECK (id = 1),
			version integer NOT NULL)`,
		"CREATE TABLE IF NOT EXISTS " + t + `states (
			fleet text PRIMARY KEY,
			lineage text NOT NULL,
			serial bigint NOT NULL,
			body bytea NOT NULL,
			updated_at timestamptz NOT NULL)`,
		"CREATE TABLE IF NOT EXISTS " + t + `journal (
			id bigserial PRIMARY KEY,
			fleet text NOT NULL,
			lineage text NOT NULL,
			grp text NOT NULL,
			seq integer NOT NULL,
			record bytea NOT NULL,
			at timestamptz NOT NULL DEFAULT now())`,
		"CREATE INDEX IF NOT EXISTS journal_fleet ON " + t + "journal (fleet, id)",
		"CREATE TABLE IF NOT EXISTS " + t + `locks (
			fleet text PRIMARY KEY,
			generation bigint NOT NULL,
			held boolean NOT NULL,
			backend_pid integer NOT NULL,
			who text NOT NULL,
			host text NOT NULL,
			pid integer NOT NULL,
			operation text NOT NULL,
			since timestamptz NOT NULL)`,
		"CREATE TABLE IF NOT EXISTS " + t + `versions (
			fleet text NOT NULL,
			lineage text NOT NULL,
			serial bigint NOT NULL,
			at timestamptz NOT NULL,
			who text NOT NULL,
			host text NOT NULL,
			operation text NOT NULL,
			summary text NOT NULL,
			PRIMARY KEY (fleet, lineage, serial))`,
	}
}

// keyOf returns an advisory lock key for a purpose within the schema.
func (s *Store) keyOf(what string) int64 {
	h := fnv.New64a()
	h.Write([]byte(what + "\x00" + s.schema))
	return int64(h.Sum64())
}

// Lock takes the fleet's advisory lock on the store's connection, waiting up to timeout,
// records the holder and raises the fencing generation.
func (s *Store) Lock(ctx context.Context, operation string, timeout time.Duration) (state.Lock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != 0 {
		return nil, fmt.Errorf("lock %s: already held by this process (%s)", s.Where(), s.holder)
	}
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", s.key).Scan(&ok); err != nil {
			return nil, s.fail("lock the postgres state", err)
		}
		if ok {
			break
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return nil, &state.LockedError{Path: s.Where(), Holder: s.holderInfo(ctx, conn)}
		}
		t := time.NewTimer(min(wait, lockPoll))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("lock %s: %w", s.Where(), ctx.Err())
		case <-t.C:
		}
	}
	unlock := func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", s.key) }
	// Under a pooler in transaction mode the next statement may run in another session,
	// which does not hold the lock: refuse rather than believe in a lock nobody holds.
	var mine int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND pid = pg_backend_pid() AND classid = $1 AND objid = $2 AND objsubid = 1`,
		uint32(uint64(s.key)>>32), uint32(uint64(s.key))).Scan(&mine)
	if err != nil {
		unlock()
		return nil, s.fail("lock the postgres state", err)
	}
	if mine != 1 {
		unlock()
		return nil, fmt.Errorf("lock %s: the session that took the advisory lock no longer holds it: the connection goes through a %w (such as PgBouncer with pool_mode=transaction); connect to PostgreSQL directly or through a pooler in session mode", s.Where(), ErrPooler)
	}
	who, host := state.Who()
	err = conn.QueryRow(ctx, "INSERT INTO "+s.ident+`.locks AS l (fleet, generation, held, backend_pid, who, host, pid, operation, since)
		VALUES ($1, 1, true, pg_backend_pid(), $2, $3, $4, $5, $6)
		ON CONFLICT (fleet) DO UPDATE SET generation = l.generation + 1, held = true, backend_pid = pg_backend_pid(),
			who = $2, host = $3, pid = $4, operation = $5, since = $6
		RETURNING generation`, s.fleet, who, host, os.Getpid(), operation, s.now().UTC()).Scan(&s.gen)
	if err != nil {
		unlock()
		s.gen = 0
		return nil, s.fail("record the postgres state's lock holder", err)
	}
	s.holder = operation
	return &lock{s: s}, nil
}

// holderInfo reads the recorded holder of the fleet's lock, or nil.
func (s *Store) holderInfo(ctx context.Context, conn *pgx.Conn) *state.LockInfo {
	var info state.LockInfo
	var held bool
	err := conn.QueryRow(ctx, "SELECT held, pid, host, who, operation, since FROM "+s.ident+".locks WHERE fleet = $1", s.fleet).
		Scan(&held, &info.PID, &info.Host, &info.Who, &info.Operation, &info.Created)
	if err != nil || !held {
		return nil
	}
	return &info
}

type lock struct {
	s    *Store
	once sync.Once
}

// Unlock clears the holder and releases the advisory lock.
func (l *lock) Unlock() error {
	var err error
	l.once.Do(func() { err = l.s.unlock() })
	return err
}

func (s *Store) unlock() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == 0 {
		return nil
	}
	gen := s.gen
	s.gen, s.holder = 0, ""
	if s.conn == nil || s.conn.IsClosed() {
		return nil // the lock died with the session
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.conn.Exec(ctx, "UPDATE "+s.ident+".locks SET held = false WHERE fleet = $1 AND generation = $2", s.fleet, gen)
	if _, uerr := s.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", s.key); err == nil {
		err = uerr
	}
	if err != nil {
		// Closing the session releases the lock whatever went wrong.
		_ = s.conn.Close(ctx)
		s.conn = nil
		return s.fail("unlock the postgres state", err)
	}
	return nil
}

// fence is the condition every write adds: this session still holds the fleet's lock of
// this store's generation. $1 is the fleet, $2 the generation.
func (s *Store) fence() string {
	return "EXISTS (SELECT 1 FROM " + s.ident + ".locks WHERE fleet = $1 AND generation = $2 AND held AND backend_pid = pg_backend_pid())"
}

// writeConn returns the connection for a write under the lock. Called with s.mu held.
func (s *Store) writeConn(ctx context.Context, op string) (*pgx.Conn, error) {
	if s.gen == 0 {
		return nil, fmt.Errorf("%s (%s): the state is not locked", op, s.Where())
	}
	if s.conn == nil || s.conn.IsClosed() {
		return nil, s.fail(op, fmt.Errorf("%w: the connection that held it closed", state.ErrLockLost))
	}
	return s.conn, nil
}

// lost turns a failed write into an error that says the lock is gone when it is.
func (s *Store) lost(op string, err error) error {
	if s.conn == nil || s.conn.IsClosed() {
		return s.fail(op, fmt.Errorf("%w (the connection closed: %v)", state.ErrLockLost, scrub(err, s.cfg.Password)))
	}
	return s.fail(op, err)
}

// Read reads the fleet's state and replays its journal rows, in one snapshot.
func (s *Store) Read(ctx context.Context) (*state.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	var (
		st      *state.State
		journal []state.JournalRecord
		lastID  int64
		noState bool
	)
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var lineage string
		var serial int64
		var body []byte
		err := tx.QueryRow(ctx, "SELECT lineage, serial, body FROM "+s.ident+".states WHERE fleet = $1", s.fleet).Scan(&lineage, &serial, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			noState = true
			return nil
		}
		if err != nil {
			return err
		}
		st, err = decodeBody(s.Where(), body)
		if err != nil {
			return err
		}
		if st.Lineage != lineage || st.Serial != uint64(serial) {
			return &state.FormatError{Path: s.Where(), Err: fmt.Errorf("the stored state is of lineage %s serial %d, its row says lineage %s serial %d", st.Lineage, st.Serial, lineage, serial)}
		}
		body = nil
		rows, err := tx.Query(ctx, "SELECT id, lineage, record FROM "+s.ident+".journal WHERE fleet = $1 ORDER BY id", s.fleet)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var rl string
			var rec []byte
			if err := rows.Scan(&id, &rl, &rec); err != nil {
				return err
			}
			where := fmt.Sprintf("%s, journal row %d", s.Where(), id)
			if rl != lineage {
				return &state.FormatError{Path: where, Err: fmt.Errorf("journal row of another state (lineage %s; the state has lineage %s)", rl, lineage)}
			}
			r, err := state.DecodeRecord(rec)
			if err != nil {
				return &state.FormatError{Path: where, Err: err}
			}
			journal = append(journal, r)
			lastID = id
		}
		return rows.Err()
	})
	if err != nil {
		var fe *state.FormatError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, s.fail("read the postgres state", err)
	}
	if noState {
		return nil, fmt.Errorf("%s: %w", s.Where(), state.ErrNoState)
	}
	if err := state.Replay(s.Where()+", journal", st, journal); err != nil {
		return nil, err
	}
	st.Version = version(st.Serial, lastID)
	s.lastID = max(s.lastID, lastID)
	return st, nil
}

// version is the identity of a snapshot: the serial and the last journal row replayed.
func version(serial uint64, lastID int64) string {
	return strconv.FormatUint(serial, 10) + ":" + strconv.FormatInt(lastID, 10)
}

// decodeBody decodes a stored state: gzip'd state file bytes.
func decodeBody(where string, body []byte) (*state.State, error) {
	return state.Decode(where, func() (io.Reader, error) {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, &state.FormatError{Path: where, Err: fmt.Errorf("stored state: %w", err)}
		}
		return zr, nil
	})
}

// encodeBody returns the stored form of st.
func encodeBody(st *state.State) ([]byte, error) {
	data, err := state.Encode(st)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(data) / 6)
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write saves the whole state under the lock, removes the journal rows it folds in and
// records a version, in one transaction.
func (s *Store) Write(ctx context.Context, st *state.State, c state.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	const op = "write the postgres state"
	conn, err := s.writeConn(ctx, op)
	if err != nil {
		return err
	}
	next := *st
	next.Serial = st.Serial + 1
	body, err := encodeBody(&next)
	if err != nil {
		return fmt.Errorf("%s (%s): %w", op, s.Where(), err)
	}
	who, host := state.Who()
	now := s.now().UTC()
	// A write must not hang on a server that stopped answering.
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, "SELECT "+s.fence(), s.fleet, s.gen).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return state.ErrLockLost
		}
		var lineage string
		var serial int64
		err := tx.QueryRow(ctx, "SELECT lineage, serial FROM "+s.ident+".states WHERE fleet = $1 FOR UPDATE", s.fleet).Scan(&lineage, &serial)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case lineage != st.Lineage:
			return fmt.Errorf("the store holds another state (lineage %s, not %s)", lineage, st.Lineage)
		case uint64(serial) > st.Serial:
			return fmt.Errorf("the stored state changed since it was read (serial %d, read at %d)", serial, st.Serial)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+s.ident+`.states AS s (fleet, lineage, serial, body, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (fleet) DO UPDATE SET lineage = $2, serial = $3, body = $4, updated_at = $5`,
			s.fleet, next.Lineage, int64(next.Serial), body, now); err != nil {
			return err
		}
		// Fold in the rows this store read or committed, which st holds; never a row it has
		// not seen.
		if _, err := tx.Exec(ctx, "DELETE FROM "+s.ident+".journal WHERE fleet = $1 AND id <= $2", s.fleet, s.lastID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO "+s.ident+`.versions (fleet, lineage, serial, at, who, host, operation, summary)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			s.fleet, next.Lineage, int64(next.Serial), now, who, host, c.Operation, c.Summary)
		return err
	})
	if err != nil {
		if errors.Is(err, state.ErrLockLost) {
			return fmt.Errorf("%s (%s): %w: another process may hold it now", op, s.Where(), state.ErrLockLost)
		}
		return s.lost(op, err)
	}
	*st = next
	st.Journaled = 0
	st.Version = version(st.Serial, 0)
	return nil
}

// OpenJournal returns the journal of an apply: each commit inserts its records as rows in
// one statement that checks the fence. A state the store does not hold yet is stored first
// (at its serial), so that the rows have a state to be replayed onto.
func (s *Store) OpenJournal(ctx context.Context, st *state.State) (state.Journal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	const op = "open the postgres journal"
	conn, err := s.writeConn(ctx, op)
	if err != nil {
		return nil, err
	}
	if st.Lineage == "" {
		return nil, fmt.Errorf("%s (%s): state without a lineage", op, s.Where())
	}
	body, err := encodeBody(st)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", op, s.Where(), err)
	}
	var lineage string
	var serial int64
	err = conn.QueryRow(ctx, "WITH ins AS (INSERT INTO "+s.ident+`.states (fleet, lineage, serial, body, updated_at)
			SELECT $1, $3, $4, $5, $6 WHERE `+s.fence()+`
			ON CONFLICT (fleet) DO NOTHING RETURNING lineage, serial)
		SELECT lineage, serial FROM ins
		UNION ALL SELECT lineage, serial FROM `+s.ident+`.states WHERE fleet = $1 AND `+s.fence(),
		s.fleet, s.gen, st.Lineage, int64(st.Serial), body, s.now().UTC()).Scan(&lineage, &serial)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("%s (%s): %w: another process may hold it now", op, s.Where(), state.ErrLockLost)
	case err != nil:
		return nil, s.lost(op, err)
	case lineage != st.Lineage:
		return nil, fmt.Errorf("%s (%s): the store holds another state (lineage %s, not %s)", op, s.Where(), lineage, st.Lineage)
	case uint64(serial) != st.Serial:
		return nil, fmt.Errorf("%s (%s): the stored state changed since it was read (serial %d, read at %d)", op, s.Where(), serial, st.Serial)
	}
	what := "journal of " + s.Where()
	const appendOp = "append to the postgres journal"
	insert := "WITH ins AS (INSERT INTO " + s.ident + `.journal (fleet, lineage, grp, seq, record)
		SELECT $1, $3, g, q, r FROM unnest($4::text[], $5::integer[], $6::bytea[]) AS t(g, q, r) WHERE ` + s.fence() + `
		RETURNING id) SELECT count(*), coalesce(max(id), 0) FROM ins`
	commit := func(recs []state.JournalRecord, lines [][]byte) error {
		groups := make([]string, len(recs))
		seqs := make([]int32, len(recs))
		for i, r := range recs {
			groups[i], seqs[i] = r.Group, -1 // an instance update names no batch
			if r.Batch != nil {
				seqs[i] = int32(r.Batch.Seq)
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		conn, err := s.writeConn(ctx, appendOp)
		if err != nil {
			return err
		}
		// A commit must not hang on a server that stopped answering: the call waits on it.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		defer cancel()
		var n, last int64
		if err := conn.QueryRow(cctx, insert, s.fleet, s.gen, st.Lineage, groups, seqs, lines).Scan(&n, &last); err != nil {
			return s.lost(appendOp, err)
		}
		if n != int64(len(recs)) {
			return fmt.Errorf("%s (%s): %w: another process may hold it now", appendOp, s.Where(), state.ErrLockLost)
		}
		s.lastID = max(s.lastID, last)
		return nil
	}
	return state.NewJournal(what, commit, nil), nil
}

// ForceUnlock ends a lock whose holder is gone. A session-level lock dies with its session,
// so a lock is left only by a session that outlived its process (a connection the server
// has not seen close yet): when the recorded holder ran on this host and is dead, its
// backend is terminated.
func (s *Store) ForceUnlock(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	var backend int32
	err = conn.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1 AND objid = $2 AND objsubid = 1`,
		uint32(uint64(s.key)>>32), uint32(uint64(s.key))).Scan(&backend)
	if errors.Is(err, pgx.ErrNoRows) {
		// Nobody holds the lock. Clear a stale holder row only while holding the lock, so
		// that a process taking it meanwhile keeps its row.
		var ok bool
		if conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", s.key).Scan(&ok) == nil && ok {
			_, _ = conn.Exec(ctx, "UPDATE "+s.ident+".locks SET held = false WHERE fleet = $1", s.fleet)
			_, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", s.key)
		}
		return fmt.Errorf("force-unlock %s: %w", s.Where(), state.ErrNotLocked)
	}
	if err != nil {
		return s.fail("force-unlock", err)
	}
	holder := s.holderInfo(ctx, conn)
	_, host := state.Who()
	var recorded int32
	_ = conn.QueryRow(ctx, "SELECT backend_pid FROM "+s.ident+".locks WHERE fleet = $1 AND held", s.fleet).Scan(&recorded)
	if holder == nil || recorded != backend {
		return fmt.Errorf("force-unlock %s: the lock is held by database session %d, which the holder row does not name; refusing", s.Where(), backend)
	}
	if holder.Host != host || state.ProcessAlive(holder.PID) {
		return &state.HolderAliveError{Path: s.Where(), Holder: holder, Host: host,
			Hint: fmt.Sprintf("if you are sure that process is gone, end its database session: SELECT pg_terminate_backend(%d)", backend)}
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_terminate_backend($1)", backend).Scan(&ok); err != nil {
		return s.fail("force-unlock", err)
	}
	if !ok {
		return fmt.Errorf("force-unlock %s: could not end database session %d that holds the lock", s.Where(), backend)
	}
	return nil
}

// History lists the fleet's versions, newest first.
func (s *Store) History(ctx context.Context, limit int) ([]state.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	q := "SELECT serial, lineage, at, who, host, operation, summary FROM " + s.ident + ".versions WHERE fleet = $1 ORDER BY at DESC, serial DESC"
	args := []any{s.fleet}
	if limit > 0 {
		q += " LIMIT $2"
		args = append(args, limit)
	}
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail("read the postgres state's history", err)
	}
	out := []state.Version{}
	for rows.Next() {
		var v state.Version
		var serial int64
		if err := rows.Scan(&serial, &v.Lineage, &v.Time, &v.Who, &v.Host, &v.Operation, &v.Summary); err != nil {
			rows.Close()
			return nil, s.fail("read the postgres state's history", err)
		}
		v.Serial = uint64(serial)
		v.Time = v.Time.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("read the postgres state's history", err)
	}
	return out, nil
}

// Close releases the lock, if held, and closes the connection.
func (s *Store) Close() error {
	err := s.unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.conn.Close(ctx)
		s.conn = nil
	}
	return err
}

var _ state.Store = (*Store)(nil)
