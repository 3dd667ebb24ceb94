package executor

import (
	"context"

	"fleet/internal/cvm"
)

// The interfaces below are what the executor's functions need of the cloud, each function
// taking the narrowest. cvm.API satisfies all of them, over transports wrapped once with the
// decorators of this package (WithRetry, Detach, WithRateLimit, WithLog); tests use fakes.
// Errors should be *cvm.Error so that their Class can be read.

// Lister lists instances: what refreshes, marker lookups and the checks of a fleet need.
type Lister interface {
	DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error)
}

// Buyer buys instances and looks up what a call whose answer was lost bought: what Apply
// needs.
type Buyer interface {
	Lister
	RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error)
}

// Pricer asks the prices of purchases and renewals.
type Pricer interface {
	InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error)
	RenewalPrice(ctx context.Context, instanceID string, period int) (int64, error)
}

// Renewer renews instances and sets their renew flags, reading deadlines to resolve a
// renewal whose outcome is unknown.
type Renewer interface {
	Lister
	RenewInstance(ctx context.Context, instanceID string, period int) (dealID string, err error)
	SetAutoRenew(ctx context.Context, ids []string, flag int) (cvm.SetAutoRenewResult, error)
}

// Client is every action the workflows use, for those that hold one client for all of them.
type Client interface {
	Buyer
	Pricer
	Renewer
}

var _ Client = cvm.API{}
