package executor

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/secret"
)

// WithLog returns a Client that writes one record to logger per attempt it passes on: the
// action, the group and seq of the call when the executor made it, the client token, the goods
// number, how long the attempt took and, for a failure, its class and text. A success is
// logged at Info, a failure at Warn. No parameter value that is a secret (secret.IsParam)
// is ever logged, not even inside an answer that echoes it, as sent or re-encoded
// (secret.Mask); the API key never reaches this layer. Wrap the bare API client with it,
// inside the retries and the rate limit, so that each attempt is one record. A nil logger
// returns c unchanged.
func WithLog(c Client, logger *slog.Logger) Client {
	if logger == nil {
		return c
	}
	return &logged{inner: c, log: logger}
}

type logged struct {
	inner Client
	log   *slog.Logger
}

func (l *logged) RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error) {
	start := time.Now()
	res, err := l.inner.RunInstances(ctx, params)
	attrs := l.callAttrs(ctx, params)
	if err == nil {
		attrs = append(attrs, slog.Int("deals", len(res.DealIDs)), slog.Int("instances", countInstances(res)))
	}
	l.record(ctx, "RunInstances", start, err, secretsOf(params), attrs)
	return res, err
}

func (l *logged) DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error) {
	start := time.Now()
	list, err := l.inner.DescribeInstances(ctx, f)
	attrs := []slog.Attr{slog.Int("ids", len(f.InstanceIDs))}
	if f.SearchWord != "" {
		attrs = append(attrs, slog.String("search", f.SearchWord))
	}
	if err == nil {
		attrs = append(attrs, slog.Int("found", len(list)))
	}
	l.record(ctx, "DescribeInstances", start, err, nil, attrs)
	return list, err
}

func (l *logged) InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error) {
	start := time.Now()
	fen, err := l.inner.InquiryInstancePrice(ctx, params)
	attrs := l.callAttrs(ctx, params)
	if err == nil {
		attrs = append(attrs, slog.Int64("price_fen", fen))
	}
	l.record(ctx, "InquiryInstancePrice", start, err, secretsOf(params), attrs)
	return fen, err
}

// callAttrs names the call of params: its group and seq when known, token and goods number.
func (l *logged) callAttrs(ctx context.Context, params map[string]string) []slog.Attr {
	var attrs []slog.Attr
	if lb, ok := ctx.Value(callLabelKey{}).(callLabel); ok {
		attrs = append(attrs, slog.String("group", lb.group), slog.Int("seq", lb.seq))
	}
	if t := params["clientToken"]; t != "" {
		attrs = append(attrs, slog.String("token", t))
	}
	if n := params["goodsNum"]; n != "" {
		if v, err := strconv.Atoi(n); err == nil {
			attrs = append(attrs, slog.Int("goods_num", v))
		}
	}
	return attrs
}

// record writes the line of one attempt.
func (l *logged) record(ctx context.Context, action string, start time.Time, err error, secrets []string, attrs []slog.Attr) {
	all := append([]slog.Attr{slog.String("action", action)}, attrs...)
	all = append(all, slog.Duration("duration", time.Since(start)))
	if err == nil {
		l.log.LogAttrs(ctx, slog.LevelInfo, "call", all...)
		return
	}
	all = append(all, slog.String("class", cvm.ClassOf(err).String()), slog.String("error", secret.Mask(err.Error(), secrets...)))
	l.log.LogAttrs(ctx, slog.LevelWarn, "call failed", all...)
}

// secretsOf returns the secret values among params (secret.Values).
func secretsOf(params map[string]string) []string { return secret.Values(params) }

func countInstances(res cvm.RunResult) int {
	n := 0
	for _, ids := range res.InstanceIDs {
		n += len(ids)
	}
	return n
}

// callLabel names the call an attempt belongs to, for the log.
type callLabel struct {
	group string
	seq   int
}

type callLabelKey struct{}

// withCallLabel returns ctx carrying the group and seq of the call made under it.
func withCallLabel(ctx context.Context, group string, seq int) context.Context {
	return context.WithValue(ctx, callLabelKey{}, callLabel{group: group, seq: seq})
}
