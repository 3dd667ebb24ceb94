package pgtest

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startServer starts a server for one test and stops it when the test ends. Missing
// binaries fail the test: it never skips.
func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(context.Background(), sql).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func TestServerLifecycle(t *testing.T) {
	s := startServer(t, Options{})
	if !strings.HasPrefix(s.URL, "postgres://fleet@127.0.0.1:") || !strings.HasSuffix(s.URL, "/fleet?sslmode=disable") {
		t.Errorf("URL = %q", s.URL)
	}
	if s.Port == 0 || s.SocketDir == "" || !strings.HasPrefix(s.SocketDir, s.Dir) {
		t.Errorf("Port = %d, SocketDir = %q, Dir = %q", s.Port, s.SocketDir, s.Dir)
	}

	conn := connect(t, s.URL)
	if got := queryString(t, conn, "SELECT 1::text"); got != "1" {
		t.Errorf("select 1 = %q", got)
	}
	if got := queryString(t, conn, "SELECT current_database() || ' ' || current_user"); got != "fleet fleet" {
		t.Errorf("database and user = %q", got)
	}
	if got := queryString(t, conn, "SHOW fsync"); got != "on" {
		t.Errorf("fsync = %q by default", got)
	}
	if got := queryString(t, conn, "SHOW listen_addresses"); got != "127.0.0.1" {
		t.Errorf("listen_addresses = %q", got)
	}
	if err := s.Exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatalf("Exec: %v", err)
	}

	port := s.Port
	if err := s.Restart("immediate"); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Port != port {
		t.Errorf("port changed from %d to %d", port, s.Port)
	}
	if _, err := conn.Exec(context.Background(), "SELECT 1"); err == nil {
		t.Error("a connection survived an immediate restart")
	}
	conn2 := connect(t, s.URL)
	if got := queryString(t, conn2, "SELECT n::text FROM kept"); got != "7" {
		t.Errorf("after the restart, kept.n = %q", got)
	}
	if err := s.Restart("crash"); err == nil {
		t.Error("Restart accepted an unknown mode")
	}

	dir := s.Dir
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Stop, %s: %v", dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := s.Restart("fast"); err == nil {
		t.Error("Restart of a stopped server succeeded")
	}
}

func TestFastDatabasesAndExternal(t *testing.T) {
	s := startServer(t, Options{Fast: true, Database: "app", Settings: map[string]string{"application_name": "it's pgtest"}})
	conn := connect(t, s.URL)
	for setting, want := range map[string]string{
		"fsync":              "off",
		"synchronous_commit": "off",
		"current_database()": "app",
		"application_name":   "it's pgtest",
	} {
		sql := "SHOW " + setting
		if strings.HasSuffix(setting, ")") {
			sql = "SELECT " + setting
		}
		if got := queryString(t, conn, sql); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}

	url, err := s.NewDatabase(`odd "name"`)
	if err != nil {
		t.Fatalf("NewDatabase: %v", err)
	}
	if got := queryString(t, connect(t, url), "SELECT current_database()"); got != `odd "name"` {
		t.Errorf("the new database's URL %s reaches %q", url, got)
	}
	if _, err := s.NewDatabase(`odd "name"`); err == nil {
		t.Error("NewDatabase made a database twice")
	}
	if err := s.Exec("SELECT * FROM no_such_table"); err == nil {
		t.Error("Exec hid an error")
	}

	ext, err := External(s.URL)
	if err != nil {
		t.Fatalf("External: %v", err)
	}
	if ext.Port != s.Port || ext.Dir != "" {
		t.Errorf("External: Port %d, Dir %q", ext.Port, ext.Dir)
	}
	if _, err := ext.NewDatabase("other"); err != nil {
		t.Errorf("NewDatabase on an external server: %v", err)
	}
	if err := ext.Restart("fast"); err == nil {
		t.Error("Restart of an external server succeeded")
	}
	if err := ext.Stop(); err != nil {
		t.Errorf("Stop of an external server: %v", err)
	}
	if err := s.Exec("SELECT 1"); err != nil {
		t.Errorf("Stop of an external server stopped it: %v", err)
	}
	if _, err := External("host=127.0.0.1"); err == nil {
		t.Error("External accepted a keyword/value string")
	}

	t.Setenv(EnvURL, s.URL)
	if got, err := mainServer(Options{BinDir: t.TempDir()}); err != nil || !got.external || got.URL != s.URL {
		t.Errorf("with %s set, mainServer: %+v, %v", EnvURL, got, err)
	}
}

func TestMainWithoutServer(t *testing.T) {
	t.Setenv(EnvURL, "")
	_, err := mainServer(Options{BinDir: t.TempDir()})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Errorf("without binaries, mainServer: %v", err)
	}

	t.Setenv(EnvURL, "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=5")
	_, err = mainServer(Options{})
	if err == nil || !strings.Contains(err.Error(), EnvURL) || strings.Contains(err.Error(), "secret") {
		t.Errorf("with an unreachable %s, mainServer: %v", EnvURL, err)
	}
}

func TestStartRetriesATakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return takenPort, nil
		}
		return freePort()
	}
	t.Cleanup(func() { pickPort = freePort })

	s := startServer(t, Options{Fast: true})
	if calls != 2 || s.Port == takenPort {
		t.Errorf("%d ports tried, server on %d, taken port %d", calls, s.Port, takenPort)
	}
	if err := s.Exec("SELECT 1"); err != nil {
		t.Error(err)
	}
}

func TestFindBinaries(t *testing.T) {
	fake := func(names ...string) string {
		dir := t.TempDir()
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	all := fake("initdb", "pg_ctl", "postgres")
	partial := fake("initdb", "pg_ctl")

	if got, err := findBinaries(strings.Join([]string{partial, all}, string(os.PathListSeparator)), "/nonexistent/*/bin"); err != nil || got != all {
		t.Errorf("from PATH: %q, %v; want %q", got, err, all)
	}

	root := t.TempDir()
	for _, v := range []string{"9.6", "13", "15", "16"} {
		bin := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		names := []string{"initdb", "pg_ctl", "postgres"}
		if v == "16" {
			names = names[:2] // An incomplete install is passed over.
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(bin, n), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := filepath.Join(root, "15", "bin")
	if got, err := findBinaries(partial, filepath.Join(root, "*", "bin")); err != nil || got != want {
		t.Errorf("from the versioned directories: %q, %v; want %q", got, err, want)
	}

	_, err := findBinaries(partial, "/nonexistent/*/bin")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `Debian's "postgresql" package`) {
		t.Errorf("without binaries: %v", err)
	}

	if _, err := FindBinaries(); err != nil {
		t.Errorf("FindBinaries on this machine: %v", err)
	}
}
