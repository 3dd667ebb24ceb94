package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"fleet/executor"
	"fleet/internal/cvm"
)

// Environment variables of the cloud credentials, the API entry and the log level.
const (
	envSecretID = "TENCENTCLOUD_SECRET_ID"
	envKey      = "TENCENTCLOUD_SECRET_KEY"
	envToken    = "TENCENTCLOUD_SECURITY_TOKEN"
	envEndpoint = "FLEET_ENDPOINT"
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
// region: each attempt logged (one line on stderr at the level FLEET_LOG names, none when it
// is unset), at most rate calls a second (0: no limit), retried as apply retries, and an
// attempt already sent when the command is interrupted let to finish (executor.Detach).
// It is the one place where the API client is made and wrapped.
func newCloudClient(cfg cvm.Config, region string, rate float64) (executor.Client, error) {
	cfg.Region = region
	c, err := cvm.New(cfg)
	if err != nil {
		return nil, err
	}
	logger, err := envLogger()
	if err != nil {
		return nil, err
	}
	logged := executor.WithLog(c, logger)
	return executor.WithRetry(executor.Detach(executor.WithRateLimit(logged, rate)), executor.RetryPolicy{}), nil
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
