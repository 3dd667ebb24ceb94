// Command pgtmp runs a command against a throwaway PostgreSQL server:
//
//	pgtmp [-fast] -- CMD ARGS...
//
// It starts a server as pgtest.Start does, runs CMD with its standard input and outputs and
// with FLEET_PG_URL set to the server's URL, stops the server and exits with CMD's exit
// status (128+N when CMD died of signal N). With -fast the server runs without fsync.
//
// SIGINT, SIGTERM and SIGHUP do not stop pgtmp before the server is stopped. SIGTERM and
// SIGHUP are passed on to CMD; SIGINT is not, since a terminal's Ctrl-C reaches CMD
// directly. After a third signal, CMD is killed. In every case pgtmp then stops the server
// and removes its directory.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"fleet/internal/pgtest"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	flags := flag.NewFlagSet("pgtmp", flag.ContinueOnError)
	fast := flags.Bool("fast", false, "run the server without fsync and synchronous commits")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: pgtmp [-fast] -- CMD ARGS...")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	argv := flags.Args()
	if len(argv) == 0 {
		flags.Usage()
		return 2
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	srv, err := pgtest.Start(pgtest.Options{Fast: *fast})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtmp: %v\n", err)
		return 1
	}
	code := runCommand(srv, argv, sigs)
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtmp: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// runCommand runs argv against srv and returns the exit status to report.
func runCommand(srv *pgtest.Server, argv []string, sigs <-chan os.Signal) int {
	select {
	case sig := <-sigs:
		fmt.Fprintf(os.Stderr, "pgtmp: %v before the command started\n", sig)
		return 128 + int(sig.(syscall.Signal))
	default:
	}
	fmt.Fprintf(os.Stderr, "pgtmp: PostgreSQL at %s (FLEET_PG_URL)\n", srv.URL)

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "FLEET_PG_URL="+srv.URL)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtmp: %v\n", err)
		return 127
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	received := 0
	for {
		select {
		case err := <-done:
			return exitStatus(err)
		case sig := <-sigs:
			received++
			switch {
			case received >= 3:
				_ = cmd.Process.Kill()
			case sig != syscall.SIGINT:
				_ = cmd.Process.Signal(sig)
			}
		}
	}
}

// exitStatus turns the result of Wait into a shell's exit status.
func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		fmt.Fprintf(os.Stderr, "pgtmp: %v\n", err)
		return 1
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return exit.ExitCode()
}
