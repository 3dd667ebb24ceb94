package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable that points Main and MainOptions at an existing
// server instead of a throwaway one.
const EnvURL = "FLEET_TEST_PG_URL"

// ErrNotFound is the error FindBinaries returns (and Start wraps) when the PostgreSQL
// server binaries cannot be found.
var ErrNotFound = errors.New(`PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in PATH or ` +
	debianBinGlob + `: install Debian's "postgresql" package (apt-get install postgresql)`)

// debianBinGlob matches the directories where Debian's packages put the server binaries,
// one per major version.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// serverBinaries are the programs Start needs, all in one directory.
var serverBinaries = []string{"initdb", "pg_ctl", "postgres"}

const (
	defaultUser     = "fleet"
	defaultDatabase = "fleet"
	defaultTimeout  = 60 * time.Second
	connectTimeout  = 30 * time.Second
	// portAttempts bounds the retries when another process takes the chosen port between
	// the moment it is found free and the moment the server binds it.
	portAttempts = 5
	// socketPathMax is the size of sun_path on Linux, terminating NUL included.
	socketPathMax = 108
)

// FindBinaries returns the directory that holds initdb, pg_ctl and postgres: the first
// directory of PATH that holds all three (or, when PATH holds a link to initdb, the
// directory the link points into), else the highest version among
// /usr/lib/postgresql/*/bin. The error, ErrNotFound, names Debian's package.
func FindBinaries() (dir string, err error) {
	return findBinaries(os.Getenv("PATH"), debianBinGlob)
}

func findBinaries(pathList, glob string) (string, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) {
			continue
		}
		if hasBinaries(dir) {
			return dir, nil
		}
		if target, err := filepath.EvalSymlinks(filepath.Join(dir, "initdb")); err == nil {
			if d := filepath.Dir(target); hasBinaries(d) {
				return d, nil
			}
		}
	}
	dirs, _ := filepath.Glob(glob)
	sort.SliceStable(dirs, func(i, j int) bool {
		return versionLess(versionOf(dirs[j]), versionOf(dirs[i]))
	})
	for _, d := range dirs {
		if hasBinaries(d) {
			return d, nil
		}
	}
	return "", ErrNotFound
}

func hasBinaries(dir string) bool {
	for _, name := range serverBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// versionOf parses the version in a path like /usr/lib/postgresql/15/bin; a part that is
// not a number counts as -1.
func versionOf(binDir string) []int {
	var v []int
	for _, part := range strings.Split(filepath.Base(filepath.Dir(binDir)), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			n = -1
		}
		v = append(v, n)
	}
	return v
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// Options configures Start. The zero value is ready to use.
type Options struct {
	// Fast turns off fsync, synchronous_commit and full_page_writes: quicker, and safe as
	// long as the machine itself does not crash. By default all three are on, as in
	// production.
	Fast bool
	// User is the name of the superuser initdb creates; "fleet" when empty.
	User string
	// Database is the database Start creates and URL names; "fleet" when empty.
	Database string
	// Settings are further postgresql.conf settings, name to value, applied after Start's
	// own (which they may override).
	Settings map[string]string
	// BinDir is the directory of initdb, pg_ctl and postgres; FindBinaries when empty.
	BinDir string
	// BaseDir is where the temporary directory is made; os.TempDir() when empty.
	BaseDir string
	// SystemUser is the account that runs the server when the process is root; see the
	// package documentation for the default. It is ignored when the process is not root.
	SystemUser string
	// Timeout bounds each wait of pg_ctl for the server to start or stop; 60 seconds when
	// zero.
	Timeout time.Duration
}

// Server is a running throwaway server, or an existing one (see External). Its methods are
// safe for concurrent use.
type Server struct {
	// URL reaches the database as the superuser over TCP, like
	// postgres://fleet@127.0.0.1:PORT/fleet?sslmode=disable.
	URL string
	// Dir is the temporary directory that holds the cluster (Dir/data), the unix socket
	// (Dir/sock) and the server's log (Dir/postgres.log). It is empty for an external
	// server.
	Dir string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// SocketDir is the directory of the unix socket, empty when Dir is too long for a
	// socket path and the server listens on TCP only.
	SocketDir string
	// LogFile is the server's log, kept until Stop.
	LogFile string

	bin      string
	dataDir  string
	acct     *account
	env      []string
	timeout  time.Duration
	external bool

	mu        sync.Mutex
	stopped   bool
	watchdog  *exec.Cmd
	watchPipe io.WriteCloser
}

// account is the unprivileged account that runs the server when the process is root.
type account struct {
	name     string
	uid, gid uint32
}

// Start starts a throwaway server as opts describes and returns once it accepts
// connections and its database exists. The caller must call Stop.
func Start(opts Options) (_ *Server, err error) {
	if opts.User == "" {
		opts.User = defaultUser
	}
	if opts.Database == "" {
		opts.Database = defaultDatabase
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if strings.ContainsRune(opts.User, 0) || strings.ContainsRune(opts.Database, 0) {
		return nil, errors.New("pgtest: user and database names cannot hold NUL")
	}
	bin := opts.BinDir
	if bin == "" {
		if bin, err = FindBinaries(); err != nil {
			return nil, err
		}
	} else if !hasBinaries(bin) {
		return nil, fmt.Errorf("pgtest: %s does not hold initdb, pg_ctl and postgres: %w", bin, ErrNotFound)
	}
	acct, err := runAccount(opts.SystemUser)
	if err != nil {
		return nil, err
	}

	base := opts.BaseDir
	if base == "" {
		base = os.TempDir()
	}
	if base, err = filepath.Abs(base); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	dir, err := os.MkdirTemp(base, "fleet-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{
		Dir:     dir,
		LogFile: filepath.Join(dir, "postgres.log"),
		bin:     bin,
		dataDir: filepath.Join(dir, "data"),
		acct:    acct,
		env:     serverEnv(),
		timeout: opts.Timeout,
	}
	defer func() {
		if err != nil {
			s.abandon()
		}
	}()
	if err := s.startWatchdog(); err != nil {
		return nil, err
	}
	if acct != nil {
		if err := os.Chown(dir, int(acct.uid), int(acct.gid)); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
		if err := checkReachable(dir, acct); err != nil {
			return nil, err
		}
	}
	sock := filepath.Join(dir, "sock")
	if len(filepath.Join(sock, ".s.PGSQL.65535")) < socketPathMax {
		if err := s.mkdir(sock); err != nil {
			return nil, err
		}
		s.SocketDir = sock
	}

	if err := s.run("initdb", "-D", s.dataDir, "-U", opts.User, "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, err
	}
	if err := s.appendFile(filepath.Join(s.dataDir, "postgresql.conf"),
		"\n# Settings of the throwaway test server.\ninclude 'pgtest.conf'\n"); err != nil {
		return nil, err
	}
	if err := s.listen(opts); err != nil {
		return nil, err
	}

	s.URL = serverURL(opts.User, s.Port, opts.Database)
	if opts.Database != "postgres" {
		create := "CREATE DATABASE " + pgx.Identifier{opts.Database}.Sanitize()
		if err := execURL(serverURL(opts.User, s.Port, "postgres"), create); err != nil {
			return nil, fmt.Errorf("pgtest: creating database %q: %w", opts.Database, err)
		}
	}
	return s, nil
}

// listen writes the settings with a free port and starts the server, with another port
// when the chosen one was taken in between.
func (s *Server) listen(opts Options) error {
	for attempt := 1; ; attempt++ {
		port, err := pickPort()
		if err != nil {
			return err
		}
		if err := s.writeFile(filepath.Join(s.dataDir, "pgtest.conf"), settings(opts, port, s.SocketDir)); err != nil {
			return err
		}
		if err := os.Remove(s.LogFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pgtest: %w", err)
		}
		err = s.pgCtl("start", "-l", s.LogFile)
		if err == nil {
			s.Port = port
			return nil
		}
		logText := s.logTail()
		if attempt < portAttempts && strings.Contains(logText, "already in use") {
			continue
		}
		return fmt.Errorf("%w\nserver log:\n%s", err, logText)
	}
}

// settings renders pgtest.conf.
func settings(opts Options, port int, socketDir string) []byte {
	durable := "on"
	if opts.Fast {
		durable = "off"
	}
	var b bytes.Buffer
	b.WriteString("# Written by pgtest; postgresql.conf includes it.\n")
	set := func(name, value string) {
		fmt.Fprintf(&b, "%s = '%s'\n", name, strings.ReplaceAll(value, "'", "''"))
	}
	set("listen_addresses", "127.0.0.1")
	set("port", strconv.Itoa(port))
	set("unix_socket_directories", socketDir)
	set("max_connections", "100")
	set("shared_buffers", "64MB")
	set("fsync", durable)
	set("synchronous_commit", durable)
	set("full_page_writes", durable)
	set("logging_collector", "off")
	set("log_line_prefix", "%m [%p] ")
	names := make([]string, 0, len(opts.Settings))
	for name := range opts.Settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		set(name, opts.Settings[name])
	}
	return b.Bytes()
}

// External returns a Server for the existing server at rawURL (a postgres:// URL), after
// checking that it answers. Stop leaves that server alone and Restart is refused.
func External(rawURL string) (*Server, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("pgtest: %q is not a postgres:// URL", redact(rawURL))
	}
	if err := execURL(rawURL, "SELECT 1"); err != nil {
		return nil, fmt.Errorf("pgtest: the server at %s does not answer: %w", redact(rawURL), err)
	}
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 5432
	}
	return &Server{URL: rawURL, Port: port, external: true}, nil
}

// Main starts a server with the default Options (or uses the one FLEET_TEST_PG_URL names),
// stores it in *srv, runs the tests and stops the server, whatever the tests' outcome. It
// returns the exit code for os.Exit: 1 when no server could be had, with the reason on
// standard error.
func Main(m *testing.M, srv **Server) int {
	return MainOptions(m, Options{}, srv)
}

// MainOptions is Main with the given Options for the server it starts.
func MainOptions(m *testing.M, opts Options, srv **Server) (code int) {
	s, err := mainServer(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: these tests need a PostgreSQL server: %v\n", err)
		return 1
	}
	*srv = s
	defer func() {
		if err := s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}()
	return m.Run()
}

// mainServer starts the server of MainOptions, or reaches the one EnvURL names.
func mainServer(opts Options) (*Server, error) {
	u := os.Getenv(EnvURL)
	if u == "" {
		return Start(opts)
	}
	s, err := External(u)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvURL, err)
	}
	return s, nil
}

// Stop shuts a throwaway server down (pg_ctl stop -m fast, then -m immediate, then
// SIGKILL) and removes its directory. Later calls, and calls on an external server, do
// nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.external || s.stopped {
		return nil
	}
	s.stopped = true
	err := s.shutdown()
	if rerr := os.RemoveAll(s.Dir); rerr != nil && err == nil {
		err = fmt.Errorf("pgtest: %w", rerr)
	}
	s.stopWatchdog()
	return err
}

// Restart restarts the server on the same port with pg_ctl restart -m mode, where mode is
// "immediate" (the server stops at once, as in a crash, and recovers when it starts),
// "fast" (it rolls back open transactions and closes every connection) or "smart" (it
// waits until every client has gone). It returns once the server accepts connections.
func (s *Server) Restart(mode string) error {
	switch mode {
	case "immediate", "fast", "smart":
	default:
		return fmt.Errorf("pgtest: restart mode %q is not immediate, fast or smart", mode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.external:
		return errors.New("pgtest: an external server cannot be restarted")
	case s.stopped:
		return errors.New("pgtest: the server is stopped")
	}
	return s.pgCtl("restart", "-m", mode, "-l", s.LogFile)
}

// NewDatabase creates the database name and returns a URL that reaches it as the user of
// URL (the superuser of a throwaway server). It fails when the database exists.
func (s *Server) NewDatabase(name string) (url string, err error) {
	if name == "" || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("pgtest: %q is not a database name", name)
	}
	dbURL, err := withDatabase(s.URL, name)
	if err != nil {
		return "", err
	}
	if err := s.Exec("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: creating database %q: %w", name, err)
	}
	return dbURL, nil
}

// Exec runs sql, which may hold several statements, in the database of URL as its user
// (the superuser of a throwaway server).
func (s *Server) Exec(sql string) error {
	return execURL(s.URL, sql)
}

func execURL(rawURL, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	conn, err := pgx.Connect(ctx, rawURL)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), sql)
	return err
}

func serverURL(user string, port int, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(user),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func withDatabase(rawURL, database string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("pgtest: %q is not a URL", redact(rawURL))
	}
	u.Path = "/" + database
	u.RawPath = ""
	return u.String(), nil
}

// redact hides the password of a URL.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// pickPort chooses the port of each attempt to start a server; tests replace it.
var pickPort = freePort

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	return port, nil
}

// shutdown stops the server, trying harder at each step.
func (s *Server) shutdown() error {
	if _, err := os.Stat(s.pidFile()); err != nil {
		return nil // Never started, or already stopped.
	}
	fast := s.pgCtl("stop", "-m", "fast")
	if fast == nil {
		return nil
	}
	immediate := s.pgCtl("stop", "-m", "immediate")
	if immediate == nil {
		return nil
	}
	pid := s.postmasterPID()
	if pid <= 0 || syscall.Kill(pid, 0) == syscall.ESRCH {
		return nil // pg_ctl failed on a stale pid file.
	}
	kill := syscall.Kill(pid, syscall.SIGKILL)
	return fmt.Errorf("pgtest: stopping the server: %v; %v; SIGKILL: %v", fast, immediate, kill)
}

// abandon cleans up after a failed Start.
func (s *Server) abandon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	_ = s.shutdown()
	_ = os.RemoveAll(s.Dir)
	s.stopWatchdog()
}

func (s *Server) pidFile() string { return filepath.Join(s.dataDir, "postmaster.pid") }

func (s *Server) postmasterPID() int {
	data, err := os.ReadFile(s.pidFile())
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// pgCtl runs pg_ctl ACTION on the cluster and waits for it to finish its work.
func (s *Server) pgCtl(action string, args ...string) error {
	secs := int(math.Ceil(s.timeout.Seconds()))
	all := append([]string{action, "-D", s.dataDir, "-w", "-t", strconv.Itoa(secs), "-s"}, args...)
	return s.run("pg_ctl", all...)
}

// run runs a server program as the server's account, in its own process group so that a
// terminal's Ctrl-C reaches only the caller, which decides what to do.
func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.Dir
	cmd.Env = s.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if s.acct != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: s.acct.uid, Gid: s.acct.gid}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("pgtest: %s %s: %v", name, strings.Join(args, " "), err)
		if out = bytes.TrimSpace(out); len(out) > 0 {
			msg += "\n" + string(out)
		}
		return errors.New(msg)
	}
	return nil
}

// logTail returns the last lines of the server's log.
func (s *Server) logTail() string {
	data, err := os.ReadFile(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// serverEnv is the environment of the server programs: the process's, without the
// variables that choose a cluster or a locale, in the C locale.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PG") || strings.HasPrefix(name, "LC_") || name == "LANG" || name == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

func (s *Server) mkdir(path string) error {
	if err := os.Mkdir(path, 0o700); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return s.chown(path)
}

func (s *Server) writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return s.chown(path)
}

func (s *Server) appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

func (s *Server) chown(path string) error {
	if s.acct == nil {
		return nil
	}
	if err := os.Chown(path, int(s.acct.uid), int(s.acct.gid)); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// runAccount returns the account that runs the server: nil when the process is not root.
func runAccount(name string) (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if name != "" {
		return lookupAccount(name)
	}
	for _, n := range []string{"postgres", "fleettest"} {
		if a, err := lookupAccount(n); err == nil {
			return a, nil
		}
	}
	out, addErr := exec.Command("useradd", "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "fleettest").CombinedOutput()
	// Another process may have made the account meanwhile: look again either way.
	if a, err := lookupAccount("fleettest"); err == nil {
		return a, nil
	}
	if a, err := lookupAccount("nobody"); err == nil {
		return a, nil
	}
	return nil, fmt.Errorf("pgtest: PostgreSQL does not run as root, and no account to run it was found or made "+
		"(useradd fleettest: %v: %s); set Options.SystemUser", addErr, bytes.TrimSpace(out))
}

func lookupAccount(name string) (*account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: account %s has no numeric ids", name)
	}
	if uid == 0 {
		return nil, fmt.Errorf("pgtest: account %s is root, which PostgreSQL refuses", name)
	}
	return &account{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
}

// checkReachable reports an error when a directory above dir cannot be searched by a.
func checkReachable(dir string, a *account) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		perm := fi.Mode().Perm()
		ok := perm&0o001 != 0
		if st, isUnix := fi.Sys().(*syscall.Stat_t); isUnix {
			ok = ok || (st.Uid == a.uid && perm&0o100 != 0) || (st.Gid == a.gid && perm&0o010 != 0)
		}
		if !ok {
			return fmt.Errorf("pgtest: the account %s, which runs the server, cannot enter %s: "+
				"set TMPDIR (or Options.BaseDir) to a directory that account can reach", a.name, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// watchdogScript runs beside each server. It reads its standard input, a pipe whose other
// end only this process holds, until end of file: when Stop closes the pipe, or when this
// process dies however it dies. If the server still runs then, it stops it at once
// (SIGQUIT asks the postmaster for an immediate shutdown, SIGKILL follows if it lingers)
// and removes the directory. The postmaster removes its pid file as it exits; waiting for
// that rather than for the process to vanish does not depend on an init that reaps it.
const watchdogScript = `
trap '' INT HUP
while read -r _; do :; done
pidfile="$1/data/postmaster.pid"
if [ -f "$pidfile" ]; then
	pid=$(head -n 1 "$pidfile")
	if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
		i=0
		while [ -f "$pidfile" ] && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
	fi
fi
rm -rf -- "$1"
`

func (s *Server) startWatchdog() error {
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "sh", s.Dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: starting the watcher: %w", err)
	}
	s.watchdog, s.watchPipe = cmd, in
	return nil
}

// stopWatchdog lets the watcher run its cleanup, which finds nothing left to do, and waits
// for it.
func (s *Server) stopWatchdog() {
	if s.watchdog == nil {
		return
	}
	_ = s.watchPipe.Close()
	_ = s.watchdog.Wait()
	s.watchdog, s.watchPipe = nil, nil
}

// RequirePassword makes the server ask role for its password on 127.0.0.1 (scram-sha-256)
// instead of trusting it, so that tests can connect with a wrong one. It edits the
// cluster's pg_hba.conf and reloads the configuration.
func (s *Server) RequirePassword(role string) error {
	if s.Dir == "" {
		return errors.New("pgtest: an external server's authentication is not ours to change")
	}
	hba := filepath.Join(s.dataDir, "pg_hba.conf")
	old, err := os.ReadFile(hba)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	line := fmt.Sprintf("host all %s 127.0.0.1/32 scram-sha-256\n", role)
	if err := s.writeFile(hba, append([]byte(line), old...)); err != nil {
		return err
	}
	return s.Exec("SELECT pg_reload_conf()")
}
