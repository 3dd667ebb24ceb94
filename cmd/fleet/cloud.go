package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"fleet/executor"
	"fleet/internal/cvm"
)

// Environment variables of the cloud credentials, the API entries and the log level.
const (
	envSecretID = "TENCENTCLOUD_SECRET_ID"
	envKey      = "TENCENTCLOUD_SECRET_KEY"
	envToken    = "TENCENTCLOUD_SECURITY_TOKEN"
	envEndpoint = "FLEET_ENDPOINT"
	envTrade    = "FLEET_TRADE_ENDPOINT"
	envLog      = "FLEET_LOG"
)

// errNoCredentials is returned when the environment lacks the API key pair.
var errNoCredentials = errors.New("missing credentials: set " + envSecretID + " and " + envKey + " (and " + envToken + " for temporary credentials)")

// cloudConfig reads the API credentials and endpoint from the environment. It fails before
// anything else is done when the key pair is missing or FLEET_LOG names no level.
func cloudConfig() (cvm.Config, error) {
	cfg := cvm.Config{
		Endpoint:  os.Getenv(envEndpoint),
		SecretID:  os.Getenv(envSecretID),
		SecretKey: os.Getenv(envKey),
		Token:     os.Getenv(envToken),
	}
	if _, err := logLevel(os.Getenv(envLog)); err != nil {
		return cfg, err
	}
	if cfg.SecretID == "" || cfg.SecretKey == "" {
		return cfg, errNoCredentials
	}
	return cfg, nil
}

// newCloudClient returns the client through which every command talks to the API of cfg in
// region: the CVM module at cfg's endpoint and the trade module (SetAutoRenew) at
// tradeEndpoint's, each attempt logged (one line on stderr at the level FLEET_LOG names,
// none when it is unset), at most rate calls a second to both modules together (0: no
// limit), retried as apply retries, and an attempt already sent when the command is
// interrupted let to finish (executor.Detach). It is the one place where the API client is
// made and wrapped: each transport once, whatever the action.
func newCloudClient(cfg cvm.Config, region string, rate float64) (executor.Client, error) {
	cfg.Region = region
	c, err := cvm.New(cfg)
	if err != nil {
		return nil, err
	}
	tcfg := cfg
	tcfg.Endpoint = tradeEndpoint(os.Getenv(envTrade), cfg.Endpoint)
	trade, err := cvm.New(tcfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envTrade, err)
	}
	logger, err := envLogger()
	if err != nil {
		return nil, err
	}
	limiter := executor.NewLimiter(rate)
	wrap := func(t cvm.Transport) cvm.Transport {
		logged := executor.WithLog(t, logger)
		return executor.WithRetry(executor.Detach(executor.WithLimiter(logged, limiter)), executor.RetryPolicy{})
	}
	return cvm.API{CVM: wrap(c), Trade: wrap(trade)}, nil
}

// tradeEndpoint returns the endpoint of the trade module: FLEET_TRADE_ENDPOINT (trade) when
// set; else FLEET_ENDPOINT (cvmEndpoint) when it names a loopback host, because the simulator
// serves both modules on one listener; else cvm.DefaultTradeEndpoint.
func tradeEndpoint(trade, cvmEndpoint string) string {
	if trade != "" {
		return trade
	}
	if u, err := url.Parse(cvmEndpoint); err == nil && cvmEndpoint != "" && cvm.IsLoopbackHost(u.Hostname()) {
		return cvmEndpoint
	}
	return cvm.DefaultTradeEndpoint
}

// envLogger returns the logger FLEET_LOG asks for: text lines on stderr at that level, or nil
// when it is unset.
func envLogger() (*slog.Logger, error) {
	level, err := logLevel(os.Getenv(envLog))
	if err != nil || level == nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: *level})), nil
}

// logLevel parses a FLEET_LOG value: debug, info, warn or error, in any case; nil for "".
func logLevel(s string) (*slog.Level, error) {
	var l slog.Level
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return nil, nil
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return nil, fmt.Errorf("invalid %s %q: want debug, info, warn or error", envLog, s)
	}
	return &l, nil
}

// rateFlag defines --rate, the most API calls a second of a command that talks to the API.
func rateFlag(fl *pflag.FlagSet, rate *float64) {
	fl.Float64Var(rate, "rate", defaultRate, "most calls a second, retries included (0: no limit)")
}

// checkRate refuses a negative --rate.
func checkRate(rate float64) error {
	if rate < 0 {
		return fmt.Errorf("invalid --rate %g: want 0 (no limit) or more calls a second", rate)
	}
	return nil
}
