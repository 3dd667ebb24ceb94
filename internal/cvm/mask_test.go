package cvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
)

// echoEncodings are the forms in which an answer may echo pw.
func echoEncodings(pw string) []string {
	j, _ := json.Marshal(pw)
	return []string{pw, url.QueryEscape(pw), url.PathEscape(pw), string(j[1 : len(j)-1]), html.EscapeString(pw)}
}

// wireValue returns the password as the raw request body carries it.
func wireValue(body string) string {
	for _, kv := range strings.Split(body, "&") {
		if v, ok := strings.CutPrefix(kv, "password="); ok {
			return v
		}
	}
	return ""
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRunInstancesMasksEchoedPassword: an error answer that echoes the password, as sent on
// the wire or re-encoded, gives an error whose text holds no encoding of it, with its class.
func TestRunInstancesMasksEchoedPassword(t *testing.T) {
	for i, pw := range []string{"Zq7#Secret-Pw9", `Pw<&>"x 9'`} {
		tests := []struct {
			name      string
			answer    func(raw string) string // the answer, given the raw value sent
			class     Class
			malformed bool
		}{
			{"as sent", func(raw string) string {
				return `{"code":4000,"codeDesc":"InvalidParameter.PasswordNotConformSpecs","message":` + jsonString("password "+raw+" is weak") + `}`
			}, ClassParameter, false},
			{"decoded, JSON-escaped by the server", func(string) string {
				return `{"code":4000,"codeDesc":"InvalidParameter","message":` + jsonString("password "+pw+" is weak") + `}`
			}, ClassParameter, false},
			{"HTML-escaped", func(string) string {
				return `{"Response":{"Error":{"Code":"InvalidParameter","Message":` + jsonString("password "+html.EscapeString(pw)+" is weak") + `}}}`
			}, ClassParameter, false},
			{"form-encoded in a JSON-escaped text", func(string) string {
				return `{"code":4000,"codeDesc":"InvalidParameter","message":` + jsonString(jsonString("password="+url.QueryEscape(pw))) + `}`
			}, ClassParameter, false},
			{"in the error name", func(raw string) string {
				return `{"code":4000,"codeDesc":` + jsonString("InvalidParameter."+raw) + `,"message":"m"}`
			}, ClassParameter, false},
			{"in an answer naming deals", func(raw string) string {
				return `{"code":5300,"codeDesc":"OperationConstraints.AccountBalanceNotEnough","message":` + jsonString("pw "+raw) + `,"dealIds":["d-1"]}`
			}, ClassUnknown, true},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d", tt.name, i), func(t *testing.T) {
				var raw string
				var f *fake
				f = newFake(t, func(url.Values) (int, string) {
					reqs := f.requests()
					raw = wireValue(reqs[len(reqs)-1].rawBody)
					return 200, tt.answer(raw)
				})
				_, err := f.client(t, nil).RunInstances(context.Background(), map[string]string{"goodsNum": "1", "password": pw})
				if err == nil {
					t.Fatal("RunInstances succeeded, want an error")
				}
				if raw != url.QueryEscape(pw) {
					t.Fatalf("the password went on the wire as %q, want %q", raw, url.QueryEscape(pw))
				}
				for _, e := range echoEncodings(pw) {
					if strings.Contains(err.Error(), e) {
						t.Errorf("error %q holds the password as %q", err, e)
					}
				}
				var e *Error
				if !errors.As(err, &e) || !strings.Contains(err.Error(), "********") {
					t.Fatalf("error %q: want a *Error with the password masked", err)
				}
				for _, s := range append(echoEncodings(pw), raw) {
					if strings.Contains(e.Message, s) || strings.Contains(e.Name, s) || e.Err != nil && strings.Contains(e.Err.Error(), s) {
						t.Errorf("the *Error found by errors.As holds the password: %#v", e)
					}
				}
				if ClassOf(err) != tt.class || errors.Is(err, ErrMalformedAnswer) != tt.malformed {
					t.Errorf("error %q: class %v, malformed %v; want %v, %v", err, ClassOf(err), errors.Is(err, ErrMalformedAnswer), tt.class, tt.malformed)
				}
			})
		}
	}
}

func TestMaskError(t *testing.T) {
	const pw = "Zq7#Secret-Pw9"
	plain := &Error{Action: "RunInstances", Code: 4000, Name: "InvalidParameter", Message: "bad", Class: ClassParameter}
	if got := MaskError(plain, pw); got != error(plain) {
		t.Errorf("MaskError of an error without the secret = %v, want the error itself", got)
	}
	if MaskError(nil, pw) != nil {
		t.Errorf("MaskError(nil) is not nil")
	}
	echo := &Error{Action: "RunInstances", Code: 4000, Name: "InvalidParameter", Message: "bad Zq7%23Secret-Pw9", Class: ClassParameter}
	wrapped := fmt.Errorf("call web #0: %w", echo)
	got := MaskError(wrapped, pw)
	if want := "call web #0: RunInstances: InvalidParameter (code 4000): bad ********"; got.Error() != want {
		t.Errorf("MaskError text = %q, want %q", got, want)
	}
	var e *Error
	if !errors.As(got, &e) || e.Message != "bad ********" || e.Class != ClassParameter || e.Code != 4000 || e == echo {
		t.Errorf("errors.As found %#v, want a masked copy with the class kept", e)
	}
	if !errors.Is(got, echo) {
		t.Errorf("errors.Is does not see through MaskError to the original")
	}
	if echo.Message != "bad Zq7%23Secret-Pw9" {
		t.Errorf("MaskError changed the original: %#v", echo)
	}
	transport := &Error{Action: "RunInstances", Class: ClassUnknown, Err: fmt.Errorf("%w: saw Zq7%%23Secret-Pw9", ErrMalformedAnswer)}
	got = MaskError(transport, pw)
	if strings.Contains(got.Error(), "Zq7%23") || !errors.Is(got, ErrMalformedAnswer) || ClassOf(got) != ClassUnknown {
		t.Errorf("MaskError of a malformed answer = %q (malformed %v)", got, errors.Is(got, ErrMalformedAnswer))
	}
}
