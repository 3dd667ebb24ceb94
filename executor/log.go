package executor

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/secret"
)

// WithLog returns a Transport that writes one record to logger per attempt it passes on,
// whatever the action: the action, the group and seq of the call when the executor made it,
// what the parameters say of the call (client token, goods number, instance, number of ids,
// search word, page offset, period, renew flag), a summary of the answer (price, deals,
// instances, instances listed, per-instance failures of a batch), how long the attempt took
// and, for a failure, its class and text. A success is logged at Info, a failure at Warn.
// No parameter value that is a secret (secret.IsParam) is ever logged, not even inside an
// answer that echoes it, as sent or re-encoded (secret.Mask); the API key never reaches
// this layer. Wrap the bare transport with it, inside the retries and the rate limit, so
// that each attempt is one record. A nil logger returns t unchanged.
func WithLog(t cvm.Transport, logger *slog.Logger) cvm.Transport {
	if logger == nil {
		return t
	}
	return &logged{inner: t, log: logger}
}

type logged struct {
	inner cvm.Transport
	log   *slog.Logger
}

func (l *logged) Call(ctx context.Context, action string, params map[string]string) (cvm.Answer, error) {
	start := time.Now()
	ans, err := l.inner.Call(ctx, action, params)
	took := time.Since(start)
	attrs := append([]slog.Attr{slog.String("action", action)}, callAttrs(ctx, params)...)
	attrs = append(attrs, answerAttrs(ans)...)
	attrs = append(attrs, slog.Duration("duration", took))
	if err == nil {
		l.log.LogAttrs(ctx, slog.LevelInfo, "call", attrs...)
		return ans, nil
	}
	attrs = append(attrs, slog.String("class", cvm.ClassOf(err).String()),
		slog.String("error", secret.Mask(err.Error(), secretsOf(params)...)))
	l.log.LogAttrs(ctx, slog.LevelWarn, "call failed", attrs...)
	return ans, err
}

// loggedParams are the parameters a record shows, by attribute: none is a secret.
var loggedParams = []struct{ param, attr string }{
	{"clientToken", "token"},
	{"instanceId", "instance"},
	{"searchWord", "search"},
}

// loggedNumbers are the numeric parameters a record shows, by attribute.
var loggedNumbers = []struct{ param, attr string }{
	{"goodsNum", "goods_num"},
	{"offset", "offset"},
	{"period", "period"},
	{"autoRenew", "auto_renew"},
}

// callAttrs names the call of params: its group and seq when known, then what loggedParams
// and loggedNumbers show, and the number of instance ids it names.
func callAttrs(ctx context.Context, params map[string]string) []slog.Attr {
	var attrs []slog.Attr
	if lb, ok := ctx.Value(callLabelKey{}).(callLabel); ok {
		attrs = append(attrs, slog.String("group", lb.group), slog.Int("seq", lb.seq))
	}
	for _, p := range loggedParams {
		if v := params[p.param]; v != "" {
			attrs = append(attrs, slog.String(p.attr, v))
		}
	}
	for _, p := range loggedNumbers {
		if v, err := strconv.Atoi(params[p.param]); err == nil {
			attrs = append(attrs, slog.Int(p.attr, v))
		}
	}
	ids := 0
	for k := range params {
		if strings.HasPrefix(k, "instanceIds.") {
			ids++
		}
	}
	if ids > 0 {
		attrs = append(attrs, slog.Int("ids", ids))
	}
	return attrs
}

// answerAttrs sums up an answer by the members the actions answer with, whatever the action:
// a price, how many deals, instances and listed instances it names, the deal of a renewal,
// the total of a listing, and how many results of a batch failed. No other member is logged.
func answerAttrs(a cvm.Answer) []slog.Attr {
	if a == nil {
		return nil
	}
	var attrs []slog.Attr
	if r, ok := a.Get("price"); ok {
		if n, err := strconv.ParseInt(scalarText(r), 10, 64); err == nil {
			attrs = append(attrs, slog.Int64("price_fen", n))
		}
	}
	for _, m := range []struct{ member, attr string }{
		{"dealIds", "deals"}, {"unInstanceIds", "instances"}, {"instanceSet", "found"},
	} {
		if r, ok := a.Get(m.member); ok {
			attrs = append(attrs, slog.Int(m.attr, countItems(r)))
		}
	}
	if r, ok := a.Get("dealId"); ok {
		attrs = append(attrs, slog.String("deal", scalarText(r)))
	}
	if r, ok := a.Get("totalCount"); ok {
		if n, err := strconv.Atoi(scalarText(r)); err == nil {
			attrs = append(attrs, slog.Int("total", n))
		}
	}
	if r, ok := a.Get("detail"); ok {
		var items map[string]struct {
			Code json.RawMessage `json:"code"`
		}
		if json.Unmarshal(r, &items) == nil {
			failed := 0
			for _, it := range items {
				if scalarText(it.Code) != "0" {
					failed++
				}
			}
			attrs = append(attrs, slog.Int("results", len(items)), slog.Int("failed", failed))
		}
	}
	return attrs
}

// countItems counts what a member lists: the elements of an array, the items of every member
// of an object (unInstanceIds maps deals to their instances), 1 for a single value, 0 for
// null.
func countItems(r json.RawMessage) int {
	var list []json.RawMessage
	if json.Unmarshal(r, &list) == nil {
		return len(list)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(r, &obj) == nil {
		n := 0
		for _, v := range obj {
			n += countItems(v)
		}
		return n
	}
	if s := scalarText(r); s == "" || s == "null" {
		return 0
	}
	return 1
}

// scalarText returns a JSON string's text, or any other value's JSON, trimmed.
func scalarText(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) == nil {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(string(r))
}

// secretsOf returns the secret values among params (secret.Values).
func secretsOf(params map[string]string) []string { return secret.Values(params) }

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
