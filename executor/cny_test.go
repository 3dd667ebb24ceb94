package executor

import (
	"math"
	"testing"
)

func TestFormatCNY(t *testing.T) {
	for fen, want := range map[int64]string{
		0:             "0.00 CNY",
		5:             "0.05 CNY",
		19200:         "192.00 CNY",
		100000:        "1,000.00 CNY",
		1180800:       "11,808.00 CNY",
		6555600:       "65,556.00 CNY",
		123456789012:  "1,234,567,890.12 CNY",
		-150:          "-1.50 CNY",
		-123456:       "-1,234.56 CNY",
		math.MaxInt64: "92,233,720,368,547,758.07 CNY",
		math.MinInt64: "-92,233,720,368,547,758.08 CNY",
	} {
		if got := FormatCNY(fen); got != want {
			t.Errorf("FormatCNY(%d) = %q, want %q", fen, got, want)
		}
	}
}
