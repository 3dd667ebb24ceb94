package main

import (
	"errors"
	"os"

	"fleet/internal/cvm"
)

// Environment variables of the cloud credentials and the API entry.
const (
	envSecretID = "TENCENTCLOUD_SECRET_ID"
	envKey      = "TENCENTCLOUD_SECRET_KEY"
	envToken    = "TENCENTCLOUD_SECURITY_TOKEN"
	envEndpoint = "FLEET_ENDPOINT"
)

// errNoCredentials is returned when the environment lacks the API key pair.
var errNoCredentials = errors.New("missing credentials: set " + envSecretID + " and " + envKey + " (and " + envToken + " for temporary credentials)")

// cloudConfig reads the API credentials and endpoint from the environment. It fails before
// anything else is done when the key pair is missing.
func cloudConfig() (cvm.Config, error) {
	cfg := cvm.Config{
		Endpoint:  os.Getenv(envEndpoint),
		SecretID:  os.Getenv(envSecretID),
		SecretKey: os.Getenv(envKey),
		Token:     os.Getenv(envToken),
	}
	if cfg.SecretID == "" || cfg.SecretKey == "" {
		return cfg, errNoCredentials
	}
	return cfg, nil
}

// newCloudClient returns the API client of cfg for region.
func newCloudClient(cfg cvm.Config, region string) (*cvm.Client, error) {
	cfg.Region = region
	return cvm.New(cfg)
}
