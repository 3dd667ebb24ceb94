package cvm_test

import (
	"fleet/executor"
	"fleet/internal/cvm"
)

// The typed layer is what the executor drives, over the real client as its transport.
var (
	_ executor.Client = cvm.API{}
	_ cvm.Transport   = (*cvm.Client)(nil)
)
