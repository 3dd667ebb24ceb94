package executor

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"fleet/internal/cvm"
	"fleet/internal/secret"
)

// echoClient answers RunInstances with a parameter error that quotes the password, as a
// careless API might, and everything else with success.
type echoClient struct{}

func (echoClient) RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error) {
	return cvm.RunResult{}, &cvm.Error{Action: "RunInstances", Code: 4000, Name: "InvalidParameter", Message: "bad password " + params["password"], Class: cvm.ClassParameter}
}

func (echoClient) DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error) {
	return []cvm.Instance{{ID: "ins-00000001"}}, nil
}

func (echoClient) InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error) {
	return 1234, nil
}

func TestWithLogRecordsAttemptsWithoutSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := over(WithLog(wire(echoClient{}), logger))
	params := map[string]string{"clientToken": "prod-web-0-abc", "goodsNum": "3", "password": "S3cret!pass"}

	ctx := withCallLabel(context.Background(), "web", 2)
	_, err := c.RunInstances(ctx, params)
	if cvm.ClassOf(err) != cvm.ClassParameter {
		t.Fatalf("RunInstances error class = %v, want the inner error unchanged", cvm.ClassOf(err))
	}
	if _, err := c.InquiryInstancePrice(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeInstances(context.Background(), cvm.DescribeFilter{InstanceIDs: []string{"ins-00000001"}}); err != nil {
		t.Fatal(err)
	}

	out := buf.String()
	if strings.Contains(out, "S3cret!pass") {
		t.Fatalf("log holds the password:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d log lines, want 3 (one per attempt):\n%s", len(lines), out)
	}
	for i, want := range [][]string{
		{"level=WARN", "action=RunInstances", "group=web", "seq=2", "token=prod-web-0-abc", "goods_num=3", "class=parameter", "duration=", secret.Masked},
		// The inquiry sends no client token (cvm.PriceParams): only what is sent is logged.
		{"level=INFO", "action=InquiryInstancePrice", "goods_num=3", "price_fen=1234", "duration="},
		{"level=INFO", "action=DescribeInstances", "ids=1", "found=1", "total=1", "duration="},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d = %q, want it to contain %q", i+1, lines[i], w)
			}
		}
	}
}

func TestWithLogNilLoggerIsIdentity(t *testing.T) {
	c := wire(echoClient{})
	if got := WithLog(c, nil); got != c {
		t.Errorf("WithLog(c, nil) = %T, want c itself", got)
	}
}

func TestWithLogLevelFiltersSuccesses(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := over(WithLog(wire(echoClient{}), logger))
	if _, err := c.InquiryInstancePrice(context.Background(), map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("a success was logged at warn level: %q", buf.String())
	}
	_, err := c.RunInstances(context.Background(), map[string]string{"password": "x"})
	if !errors.As(err, new(*cvm.Error)) || !strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("a failure was not logged at warn level: %q", buf.String())
	}
}
