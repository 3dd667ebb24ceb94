// Package pgtest runs real, throwaway PostgreSQL servers for tests and local tries.
//
// Start makes a temporary directory, creates a cluster in it with initdb (trust
// authentication, UTF8, a superuser named "fleet" by default), starts the server with
// pg_ctl on 127.0.0.1 at a free port and on a unix socket inside the directory, waits until
// it accepts connections and creates a database. Stop shuts the server down and removes the
// directory. Restart restarts it on the same port, for tests of what a client does when its
// server goes away. NewDatabase and Exec run SQL as the superuser.
//
// # Binaries
//
// FindBinaries looks for initdb, pg_ctl and postgres in PATH, then in
// /usr/lib/postgresql/VERSION/bin (the highest version first), where Debian's "postgresql"
// package puts them. When they are missing, Start, Main and MainOptions fail with an error
// that names that package: a suite that needs PostgreSQL never skips itself.
//
// # Running as root
//
// PostgreSQL refuses to run as root. When the process is root, initdb, pg_ctl and the server
// run as an unprivileged account: Options.SystemUser when set, else "postgres" (made by
// Debian's package), else "fleettest", which is made with useradd when it does not exist,
// else "nobody". The temporary directory belongs to that account, and every directory above
// it must be searchable by it (TMPDIR or Options.BaseDir chooses where it goes).
//
// # Test packages
//
// A test package that needs a server starts one for all its tests from TestMain:
//
//	var srv *pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }
//
// When the environment variable FLEET_TEST_PG_URL holds a URL, Main uses the server there
// instead of starting one; Stop then leaves that server alone and Restart is refused.
//
// # Cleanup
//
// Stop must be called once the server is no longer needed; Main does it after the tests,
// whether they pass or fail. A process that dies without calling Stop (a panic in a test, a
// timeout, a signal) does not leak the server: a small watcher process started with each
// server notices that its parent is gone, shuts the server down at once and removes its
// directory.
package pgtest
