package main

import (
	"fmt"

	"fleet/executor"
)

// parseMaxCost reads the --max-cost flag: an amount of yuan, or "" for no limit (nil). The
// limit is returned in fen.
func parseMaxCost(s string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	fen, err := executor.ParseYuan(s)
	if err != nil {
		return nil, fmt.Errorf("invalid --max-cost: %w", err)
	}
	return &fen, nil
}
