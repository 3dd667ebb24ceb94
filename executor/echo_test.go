package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fleet/internal/cvm"
	"fleet/internal/secret"
	"fleet/internal/state"
)

// echoPassword has a character that each encoding changes: "#" (form), " " ("+" or "%20"),
// "<", ">", "&" (JSON \u escapes, HTML), `"` and "'" (JSON, HTML).
const echoPassword = `Zq7#S<e>&"c'r 9`

// echoForms are the encodings in which an answer may echo a password.
var echoForms = []struct {
	name   string
	encode func(string) string
}{
	{"as is", func(s string) string { return s }},
	{"form-encoded", url.QueryEscape},
	{"path-encoded", url.PathEscape},
	{"form-encoded, lower-case hex", func(s string) string { return lowerPercentHex(url.QueryEscape(s)) }},
	{"JSON-escaped", jsonEscaped},
	{"HTML-escaped", html.EscapeString},
	{"form-encoded then JSON-escaped", func(s string) string { return jsonEscaped("password=" + url.QueryEscape(s)) }},
	{"JSON-escaped then form-encoded", func(s string) string { return url.QueryEscape(jsonEscaped(s)) }},
	{"HTML-escaped then JSON-escaped", func(s string) string { return jsonEscaped(html.EscapeString(s)) }},
}

// jsonEscaped returns s as json.Marshal writes it, without the quotes.
func jsonEscaped(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b[1 : len(b)-1])
}

// lowerPercentHex writes the hex digits of percent escapes in lower case.
func lowerPercentHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			copy(b[i+1:i+3], strings.ToLower(string(b[i+1:i+3])))
		}
	}
	return string(b)
}

// leaks returns the encodings of pw found in text.
func leaks(text, pw string) []string {
	var out []string
	for _, f := range echoForms {
		if e := f.encode(pw); strings.Contains(text, e) {
			out = append(out, fmt.Sprintf("%s %q", f.name, e))
		}
	}
	return out
}

// TestEchoedPasswordIsMaskedInEveryEncoding applies calls whose answers echo the password in
// one encoding each: a retried busy answer, then a refusal (group web, failed) or an answer
// that cannot be read (group api, pending). Neither the journal, nor the state as written,
// nor the events (as shown and as JSON), nor the outcomes, nor the log of the attempts hold
// the password in any encoding; the classes survive the masking.
func TestEchoedPasswordIsMaskedInEveryEncoding(t *testing.T) {
	for _, form := range echoForms {
		t.Run(form.name, func(t *testing.T) {
			f := newFixture()
			f.client.answer = func(p map[string]string, attempt int) (int, error) {
				echo := form.encode(p["password"])
				switch {
				case attempt == 1:
					return 0, &cvm.Error{Action: "RunInstances", Code: 5100, Name: "OperationFail.SystemBusy", Message: "busy with password=" + echo, Class: cvm.ClassRetryable}
				case p["clientToken"] == token("web", 0):
					return 0, &cvm.Error{Action: "RunInstances", Code: 4000, Name: "InvalidParameter.PasswordNotConformSpecs", Message: "password " + echo + " is weak", Class: cvm.ClassParameter}
				}
				return 0, &cvm.Error{Action: "RunInstances", Class: cvm.ClassUnknown, Err: fmt.Errorf("%w: %s", cvm.ErrMalformedAnswer, "answer quotes "+echo)}
			}
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			opts := f.opts(over(WithRetry(WithLog(wire(f.client), logger), noSleep(3))))
			opts.Secret = func(hash string) (string, bool) { return echoPassword, hash == secret.Hash(echoPassword) }
			web, api := newCall("web", 0, 1), newCall("api", 0, 1)
			web.Params["password"], api.Params["password"] = secret.Hash(echoPassword), secret.Hash(echoPassword)

			res, err := Apply(context.Background(), newPlan(web, api), opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.client.sent) != 4 || f.client.sent[0]["password"] != echoPassword {
				t.Fatalf("sent %d attempts, want 4 with the password in clear", len(f.client.sent))
			}

			for _, r := range f.journal.records() {
				if r.Batch.Error == nil {
					continue
				}
				b, _ := json.Marshal(r)
				if l := leaks(r.Batch.Error.Message+" "+r.Batch.Error.Name+" "+string(b), echoPassword); l != nil {
					t.Errorf("journal record of %s #%d holds the password: %s\n%s", r.Group, r.Batch.Seq, l, b)
				}
			}
			path := filepath.Join(t.TempDir(), "fleet.state.json")
			if err := state.Write(path, f.state); err != nil {
				t.Fatal(err)
			}
			written, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if l := leaks(string(written), echoPassword); l != nil {
				t.Errorf("the state written holds the password: %s\n%s", l, written)
			}
			for _, g := range []string{"web", "api"} {
				b := batch(t, f.state, g, 0)
				if b.Error == nil || !strings.Contains(b.Error.Message, secret.Masked) {
					t.Errorf("batch %s #0 error %+v: want the echo masked, not dropped", g, b.Error)
				}
				if l := leaks(b.Error.Message, echoPassword); l != nil {
					t.Errorf("batch %s #0 error holds the password: %s", g, l)
				}
			}

			events, _ := json.Marshal(f.events)
			var shown strings.Builder
			for _, e := range f.events {
				shown.WriteString(e.Error + "\n")
			}
			if l := leaks(shown.String()+string(events), echoPassword); l != nil {
				t.Errorf("events hold the password: %s\n%s", l, events)
			}
			for _, o := range res.Outcomes {
				if o.Err == nil {
					t.Errorf("outcome of %s #%d has no error", o.Group, o.Seq)
				} else if l := leaks(o.Err.Error(), echoPassword); l != nil {
					t.Errorf("outcome of %s #%d holds the password: %s", o.Group, o.Seq, l)
				}
			}
			if l := leaks(logs.String(), echoPassword); l != nil || strings.Count(logs.String(), "call failed") != 4 {
				t.Errorf("log of the attempts holds the password (%s), or not one line per attempt:\n%s", l, logs.String())
			}

			if st := batch(t, f.state, "web", 0).Status; st != state.StatusFailed || cvm.ClassOf(outcome(t, res, "web").Err) != cvm.ClassParameter {
				t.Errorf("web #0: %s, class %v; want failed, parameter", st, cvm.ClassOf(outcome(t, res, "web").Err))
			}
			apiErr := outcome(t, res, "api").Err
			if st := batch(t, f.state, "api", 0).Status; st != state.StatusPending || !errors.Is(apiErr, cvm.ErrMalformedAnswer) {
				t.Errorf("api #0: %s, %v; want pending, a malformed answer", st, apiErr)
			}
			retried := 0
			for _, e := range f.events {
				if e.Type == EventCallRetried {
					retried++
					if e.Class != cvm.ClassRetryable.String() || !strings.Contains(e.Error, secret.Masked) {
						t.Errorf("retry event %+v: want class retryable and the echo masked", e)
					}
				}
			}
			if retried != 2 {
				t.Errorf("%d retry events, want 2", retried)
			}
		})
	}
}

// outcome returns the outcome of group's call.
func outcome(t *testing.T, res *Result, group string) *Outcome {
	t.Helper()
	for _, o := range res.Outcomes {
		if o.Group == group {
			return o
		}
	}
	t.Fatalf("no outcome for group %s", group)
	return nil
}
