package executor

import (
	"context"

	"fleet/internal/cvm"
)

// Client is what the executor needs of the cloud. *cvm.Client satisfies it; tests use fakes.
// Each method is one attempt; errors should be *cvm.Error so that their Class can be read.
type Client interface {
	RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error)
	DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error)
	InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error)
}
