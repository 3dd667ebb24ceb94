package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
)

// simOptions are the flags of `fleet sim`.
type simOptions struct {
	listen        string
	data          string
	secretID      string
	secretKey     string
	seed          int64
	latency       time.Duration
	answerDelay   time.Duration
	jitter        time.Duration
	busyRate      float64
	dropRate      float64
	dropActions   []string
	now           string
	failRate      float64
	quota         int
	balance       int64
	createDelay   time.Duration
	tokenTTL      time.Duration
	vpcs          []string
	windowsImages []string
	fixtures      string
	verbose       bool
}

func init() {
	register(func(g *globals) *cobra.Command { return newSimCmd(&simOptions{}) })
}

// newSimCmd returns the `fleet sim` command with its flags bound to o.
func newSimCmd(o *simOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the local simulator of the legacy CVM API",
		Long: `Run a local simulator of the legacy CVM API (RunInstances, DescribeInstances,
InquiryInstancePrice, RenewInstance, and the trade module's SetAutoRenew) on a loopback
address. The first line of standard output is the endpoint URL, to be given to fleet as
FLEET_ENDPOINT and FLEET_TRADE_ENDPOINT. It stops on SIGINT or SIGTERM, after writing its
data file.

Deadlines follow a simulated clock: real time, or fixed by --now. POST {"advance":"240h"}
or {"now":"2026-04-01T00:00:00+08:00"} to ` + cvmsim.ClockPath + ` on the same listener to move it
forward; instances are then auto-renewed, isolated or released as their deadlines pass.

It accepts one credential pair, by default the demo pair:
  TENCENTCLOUD_SECRET_ID=` + cvmsim.DemoSecretID + `
  TENCENTCLOUD_SECRET_KEY=` + cvmsim.DemoSecretKey + `

It checks signatures, the 5-minute timestamp window and nonce reuse, applies every
RunInstances parameter rule, honours clientToken, charges a balance from its price table
(in fen) and injects faults on demand. Random choices follow --seed.`,
		Example: `  fleet sim --listen 127.0.0.1:8930 --data sim.json \
    --vpc vpc-aaaa1111:subnet-bbbb2222@100003=10.0.1.0/24 --create-delay 10s
  fleet sim --fixtures examples/web-tier/sim-fixtures.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := o.config()
			if err != nil {
				return err
			}
			if o.verbose {
				cfg.Log = cmd.ErrOrStderr()
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSim(ctx, o.listen, cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback address to listen on (port 0: any free port)")
	f.StringVar(&o.data, "data", "", "data file keeping instances, tokens and balance across restarts")
	f.StringVar(&o.secretID, "secret-id", cvmsim.DemoSecretID, "the SecretId accepted")
	f.StringVar(&o.secretKey, "secret-key", cvmsim.DemoSecretKey, "the SecretKey accepted")
	f.Int64Var(&o.seed, "seed", 0, "seed of the random choices (0: from the clock)")
	f.DurationVar(&o.latency, "latency", 0, "delay before every answer")
	f.DurationVar(&o.answerDelay, "answer-delay", 0, "hold every answer after the request took effect (a client that gives up meanwhile has bought without knowing)")
	f.DurationVar(&o.jitter, "jitter", 0, "random extra delay, up to this much")
	f.Float64Var(&o.busyRate, "busy-rate", 0, "share (0..1) of requests answered OperationFail.SystemBusy")
	f.Float64Var(&o.dropRate, "drop-rate", 0, "share (0..1) of calls of the --drop-action actions that take effect, then close the connection unanswered")
	f.StringArrayVar(&o.dropActions, "drop-action", nil, "an action whose answers --drop-rate drops, e.g. RenewInstance (repeatable; default RunInstances)")
	f.StringVar(&o.now, "now", "", "fix the simulated clock at this RFC 3339 time (default: real time); "+cvmsim.ClockPath+" advances it")
	f.Float64Var(&o.failRate, "fail-rate", 0, "share (0..1) of new instances whose creation fails (status -1)")
	f.IntVar(&o.quota, "quota", 0, "most instances the account may hold (0: no limit)")
	f.Int64Var(&o.balance, "balance", 0, "account balance in fen for a new data file (0: unlimited)")
	f.DurationVar(&o.createDelay, "create-delay", 0, "how long new instances stay in status 3 (creating)")
	f.DurationVar(&o.tokenTTL, "token-ttl", 0, "how long a clientToken is remembered (0: forever)")
	f.StringArrayVar(&o.vpcs, "vpc", nil, "a VPC: VPC_ID:SUBNET_ID@ZONE=CIDR[,SUBNET_ID@ZONE=CIDR...] (repeatable)")
	f.StringArrayVar(&o.windowsImages, "windows-image", nil, "an image id to treat as Windows (repeatable)")
	f.StringVar(&o.fixtures, "fixtures", "", "a JSON or HCL file of VPCs, subnets, images and an initial balance (balance_fen) that a spec needs")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log one line per request on standard error")
	return cmd
}

// config turns the flags into a simulator configuration.
func (o *simOptions) config() (cvmsim.Config, error) {
	cfg := cvmsim.Config{
		SecretID: o.secretID, SecretKey: o.secretKey, Seed: o.seed,
		Latency: o.latency, Jitter: o.jitter, AnswerDelay: o.answerDelay, BusyRate: o.busyRate, DropRate: o.dropRate, FailRate: o.failRate,
		Quota: o.quota, BalanceFen: o.balance, CreateDelay: o.createDelay, TokenTTL: o.tokenTTL,
		DataPath: o.data, WindowsImages: o.windowsImages, DropActions: o.dropActions,
	}
	for _, a := range o.dropActions {
		if !cvmsim.Serves(a) {
			return cfg, fmt.Errorf("--drop-action: drop action %q: not an action the simulator serves", a)
		}
	}
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return cfg, fmt.Errorf("--now %q: want an RFC 3339 time, e.g. 2026-03-01T10:00:00+08:00", o.now)
		}
		cfg.Start = t
	}
	if o.secretID == "" || o.secretKey == "" {
		return cfg, errors.New("--secret-id and --secret-key must not be empty")
	}
	for _, s := range o.vpcs {
		v, err := cvmsim.ParseVPC(s)
		if err != nil {
			return cfg, fmt.Errorf("--vpc: %w", err)
		}
		cfg.VPCs = append(cfg.VPCs, v)
	}
	if o.fixtures != "" {
		src, err := os.ReadFile(o.fixtures)
		if err != nil {
			return cfg, fmt.Errorf("--fixtures: %w", err)
		}
		fx, err := cvmsim.ParseFixtures(o.fixtures, src)
		if err != nil {
			return cfg, err
		}
		fx.Apply(&cfg)
	}
	if err := checkLoopback(o.listen); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// checkLoopback refuses a listen address that is not on a loopback interface: the simulator
// accepts a published demo credential and must not be reachable from other machines.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: want HOST:PORT, e.g. 127.0.0.1:0: %w", addr, err)
	}
	if !cvm.IsLoopbackHost(host) {
		return fmt.Errorf("--listen %q: the simulator listens on loopback addresses only (127.0.0.1, ::1, localhost)", addr)
	}
	return nil
}

// runSim serves a simulator on listen until ctx ends, printing the endpoint URL as the first
// line of stdout, and writes its data file before returning.
func runSim(ctx context.Context, listen string, cfg cvmsim.Config, stdout, stderr io.Writer) error {
	sim, err := cvmsim.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		sim.Close()
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	endpoint := fmt.Sprintf("http://%s%s", net.JoinHostPort(addr.IP.String(), fmt.Sprint(addr.Port)), cvmsim.Path)
	fmt.Fprintln(stdout, endpoint)
	if cfg.Log != nil {
		fmt.Fprintf(stderr, "sim: serving %s (seed %d)\n", endpoint, sim.Seed())
	}
	err = serveSim(ctx, ln, sim)
	if cerr := sim.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	return nil
}

// serveSim serves h on ln until ctx ends, then shuts down. Requests share ctx, so that a stop
// ends their simulated latency at once (they have bought nothing yet) instead of holding the
// shutdown until it times out.
func serveSim(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
		<-done
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
