package cvm_test

import (
	"fleet/executor"
	"fleet/internal/cvm"
)

// The real client is what the executor drives.
var _ executor.Client = (*cvm.Client)(nil)
