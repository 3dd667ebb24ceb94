package cvm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	testID  = "AKIDtest"
	testKey = "test-secret-key"
)

// request is what a fake server saw of one call.
type request struct {
	method      string
	contentType string
	rawQuery    string
	rawBody     string
	form        url.Values
}

// fake is an httptest server on 127.0.0.1 that checks the signature of every request and
// answers with answer.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	seen   []request
	answer func(form url.Values) (int, string)
}

func newFake(t *testing.T, answer func(form url.Values) (int, string)) *fake {
	t.Helper()
	f := &fake{t: t, answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read body: %v", err)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		f.t.Errorf("body is not a form: %v", err)
	}
	f.mu.Lock()
	f.seen = append(f.seen, request{r.Method, r.Header.Get("Content-Type"), r.URL.RawQuery, string(body), form})
	f.mu.Unlock()
	params := map[string]string{}
	for k, v := range form {
		if len(v) != 1 {
			f.t.Errorf("parameter %s sent %d times", k, len(v))
		}
		params[k] = v[0]
	}
	want := Sign(StringToSign(r.Method, "127.0.0.1", r.URL.Path, params), testKey, params["SignatureMethod"])
	if params["Signature"] != want {
		f.t.Errorf("signature %q does not verify, want %q", params["Signature"], want)
	}
	status, answer := f.answer(form)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.seen...)
}

func (f *fake) client(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Endpoint:  f.srv.URL + "/v2/index.php",
		SecretID:  testID,
		SecretKey: testKey,
		Region:    "gz",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func constant(status int, body string) func(url.Values) (int, string) {
	return func(url.Values) (int, string) { return status, body }
}

func TestNewEndpointRules(t *testing.T) {
	tests := []struct {
		endpoint string
		wantErr  string // "" means accepted
	}{
		{"", ""},
		{"https://cvm.api.qcloud.com/v2/index.php", ""},
		{"https://example.com:8443/v2/index.php", ""},
		{"http://127.0.0.1:8080/v2/index.php", ""},
		{"http://127.1.2.3/v2/index.php", ""},
		{"http://localhost:9/v2/index.php", ""},
		{"http://LOCALHOST/v2/index.php", ""},
		{"http://[::1]:9/v2/index.php", ""},
		{"http://cvm.api.qcloud.com/v2/index.php", "plain http is refused"},
		{"http://10.0.0.1/v2/index.php", "plain http is refused"},
		{"http://localhost.example.com/v2/index.php", "plain http is refused"},
		{"http://[::2]/v2/index.php", "plain http is refused"},
		{"ftp://127.0.0.1/v2/index.php", "scheme must be https"},
		{"cvm.api.qcloud.com/v2/index.php", "scheme must be https"},
		{"https:///v2/index.php", "no host"},
		{"https://u:p@example.com/v2/index.php", "credentials in the URL"},
		{"https://example.com/v2/index.php?Action=x", "query or fragment"},
		{"https://exa mple.com/", "invalid character"},
		{"ftp://u:hunter2@127.0.0.1/", "scheme must be https"},
		{"https://u:hunter2@exa mple.com/", "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			c, err := New(Config{Endpoint: tt.endpoint, SecretID: "id", SecretKey: "key"})
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password of the URL", err)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr == "" && tt.endpoint == "" && c.Endpoint() != DefaultEndpoint:
				t.Errorf("endpoint %q, want %q", c.Endpoint(), DefaultEndpoint)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New: error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewConfigRules(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no secret id", Config{SecretKey: "very-secret-key-value"}, "secret id and secret key"},
		{"no secret key", Config{SecretID: "i"}, "secret id and secret key"},
		{"bad method", Config{SecretID: "i", SecretKey: "k", SignatureMethod: "HmacMD5"}, "want HmacSHA256 or HmacSHA1"},
		{"sha1", Config{SecretID: "i", SecretKey: "k", SignatureMethod: "HmacSHA1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New: error %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), tt.cfg.SecretKey) && tt.cfg.SecretKey != "" {
				t.Errorf("error %q shows the secret key", err)
			}
		})
	}
}

func TestRequestShape(t *testing.T) {
	for _, method := range []string{"", "HmacSHA1", "HmacSHA256"} {
		t.Run("method="+method, func(t *testing.T) {
			f := newFake(t, constant(200, `{"code":0,"message":"","dealIds":[7],"unInstanceIds":{"7":["ins-1"]}}`))
			clock := time.Unix(1465185768, 0)
			c := f.client(t, func(cfg *Config) {
				cfg.SignatureMethod = method
				cfg.Token = "session-token"
				cfg.Now = func() time.Time { return clock }
			})
			params := map[string]string{
				"cpu": "2", "mem": "4", "imageId": "img-1", "period": "1", "storageSize": "0",
				"password":    "a&b=c+d %e/f?_g",
				"clientToken": "tok-1",
			}
			for range 3 {
				if _, err := c.RunInstances(context.Background(), params); err != nil {
					t.Fatalf("RunInstances: %v", err)
				}
			}
			reqs := f.requests()
			if len(reqs) != 3 {
				t.Fatalf("server saw %d requests, want 3", len(reqs))
			}
			wantMethod := method
			if wantMethod == "" {
				wantMethod = "HmacSHA256"
			}
			nonces := map[string]bool{}
			for i, r := range reqs {
				if r.method != http.MethodPost {
					t.Errorf("request %d: method %s, want POST", i, r.method)
				}
				if r.contentType != "application/x-www-form-urlencoded" {
					t.Errorf("request %d: content type %q", i, r.contentType)
				}
				if r.rawQuery != "" {
					t.Errorf("request %d: query string %q, want none", i, r.rawQuery)
				}
				if _, ok := r.form["Version"]; ok {
					t.Errorf("request %d sends Version", i)
				}
				if strings.Contains(r.rawBody, "a&b") || !strings.Contains(r.rawBody, "password=a%26b%3Dc%2Bd") {
					t.Errorf("request %d: password is not URL-encoded in the body", i)
				}
				want := map[string]string{
					"Action": "RunInstances", "Region": "gz", "SecretId": testID,
					"SignatureMethod": wantMethod, "Timestamp": "1465185768", "Token": "session-token",
					"password": params["password"], "clientToken": "tok-1", "cpu": "2",
				}
				for k, v := range want {
					if got := r.form.Get(k); got != v {
						t.Errorf("request %d: %s = %q, want %q", i, k, got, v)
					}
				}
				n, err := strconv.ParseUint(r.form.Get("Nonce"), 10, 64)
				if err != nil || n == 0 {
					t.Errorf("request %d: Nonce %q is not a positive integer", i, r.form.Get("Nonce"))
				}
				nonces[r.form.Get("Nonce")] = true
			}
			if len(nonces) != len(reqs) {
				t.Errorf("%d distinct nonces over %d attempts", len(nonces), len(reqs))
			}
		})
	}
}

func TestNoTokenWhenUnset(t *testing.T) {
	f := newFake(t, constant(200, `{"code":0,"price":1085}`))
	c := f.client(t, nil)
	if _, err := c.InquiryInstancePrice(context.Background(), map[string]string{"cpu": "1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.requests()[0].form["Token"]; ok {
		t.Error("Token sent without a session token")
	}
}

func TestReservedParameters(t *testing.T) {
	f := newFake(t, constant(200, `{"code":0,"dealIds":[1]}`))
	c := f.client(t, nil)
	for _, k := range reservedParams {
		_, err := c.RunInstances(context.Background(), map[string]string{k: "x"})
		if ClassOf(err) != ClassParameter || !strings.Contains(err.Error(), k) {
			t.Errorf("parameter %s: error %v, want a parameter error naming it", k, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var hits int
	var mu sync.Mutex
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	defer target.Close()
	f := newFake(t, constant(200, ""))
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	})
	c := f.client(t, nil)
	_, err := c.RunInstances(context.Background(), map[string]string{"password": "secret"})
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != http.StatusTemporaryRedirect || e.Class != ClassUnknown {
		t.Fatalf("error %#v, want an unknown-class error with HTTP 307", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Error("the redirect was followed")
	}
}

// TestBadAnswers covers answers that are not the API's JSON, and transport failures.
func TestBadAnswers(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantClass  Class
		wantStatus int
		malformed  bool
	}{
		{"html 200", 200, "<html><body>Bad gateway</body></html>", ClassUnknown, 200, true},
		{"empty 200", 200, "", ClassUnknown, 200, true},
		{"blank 200", 200, "  \n", ClassUnknown, 200, true},
		{"truncated 200", 200, `{"code":0,"dealIds":[12`, ClassUnknown, 200, true},
		{"array 200", 200, `[1,2]`, ClassUnknown, 200, true},
		{"null 200", 200, `null`, ClassUnknown, 200, true},
		{"no code", 200, `{"message":"ok","dealIds":[1]}`, ClassUnknown, 200, true},
		{"code true", 200, `{"code":true,"dealIds":[1]}`, ClassUnknown, 200, true},
		{"code text", 200, `{"code":"not a name","dealIds":[1]}`, ClassUnknown, 200, true},
		{"code object", 200, `{"code":{"a":1},"dealIds":[1]}`, ClassUnknown, 200, true},
		{"trailing data", 200, `{"code":0,"dealIds":[1]} {"code":1}`, ClassUnknown, 200, true},
		{"success without ids", 200, `{"code":0,"message":""}`, ClassUnknown, 200, true},
		{"bad unInstanceIds", 200, `{"code":0,"dealIds":[1],"unInstanceIds":{"1":{"a":1}}}`, ClassUnknown, 200, true},
		{"500 empty", 500, "", ClassRetryable, 500, false},
		{"502 html", 502, "<html>bad gateway</html>", ClassRetryable, 502, false},
		{"503 json code 0", 503, `{"code":0}`, ClassRetryable, 503, false},
		{"429", 429, "slow down", ClassRetryable, 429, false},
		{"404 html", 404, "<html>not found</html>", ClassUnknown, 404, false},
		{"403 api error", 403, `{"code":4100,"message":"bad signature"}`, ClassAuth, 403, false},
		{"500 api busy", 500, `{"code":5100,"codeDesc":"OperationFail.Unknown","message":"x"}`, ClassRetryable, 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, constant(tt.status, tt.body))
			c := f.client(t, nil)
			_, err := c.RunInstances(context.Background(), map[string]string{"cpu": "1"})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Class != tt.wantClass || e.HTTPStatus != tt.wantStatus || e.Action != "RunInstances" {
				t.Errorf("got class %v, status %d, action %q; want %v, %d, RunInstances (%v)",
					e.Class, e.HTTPStatus, e.Action, tt.wantClass, tt.wantStatus, err)
			}
			if errors.Is(err, ErrMalformedAnswer) != tt.malformed {
				t.Errorf("errors.Is(err, ErrMalformedAnswer) = %v, want %v (%v)", !tt.malformed, tt.malformed, err)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)

	t.Run("request timeout", func(t *testing.T) {
		c, err := New(Config{Endpoint: slow.URL + "/v2/index.php", SecretID: "i", SecretKey: "k",
			RequestTimeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.RunInstances(context.Background(), nil)
		if ClassOf(err) != ClassRetryable || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want a retryable error wrapping context.DeadlineExceeded", err)
		}
	})
	t.Run("caller context", func(t *testing.T) {
		c, err := New(Config{Endpoint: slow.URL + "/v2/index.php", SecretID: "i", SecretKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err = c.DescribeInstances(ctx, DescribeFilter{})
		if ClassOf(err) != ClassRetryable || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want a retryable error wrapping context.DeadlineExceeded", err)
		}
	})
	t.Run("connect refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		c, err := New(Config{Endpoint: "http://" + addr + "/v2/index.php", SecretID: "i", SecretKey: "k",
			ConnectTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.InquiryInstancePrice(context.Background(), nil)
		var e *Error
		if !errors.As(err, &e) || e.Class != ClassRetryable || e.Err == nil {
			t.Fatalf("error %v, want a retryable transport error", err)
		}
	})
}

// TestDroppedAnswer is a server that closes the connection without answering: a network error
// the caller may retry.
func TestDroppedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL + "/v2/index.php", SecretID: "i", SecretKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RunInstances(context.Background(), map[string]string{"clientToken": "t"})
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassRetryable || e.Err == nil || e.Code != 0 {
		t.Fatalf("error %#v, want a retryable transport error", err)
	}
}

// TestCutBody is an answer whose body stops before its announced length.
func TestCutBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, `{"code":0,"dealIds":[1`)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		buf.Flush()
		conn.Close()
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL + "/v2/index.php", SecretID: "i", SecretKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RunInstances(context.Background(), nil)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassRetryable || e.Err == nil {
		t.Fatalf("error %#v, want a retryable read error", err)
	}
}

func TestRunInstancesAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
		want RunResult
	}{
		{"document example", `{"code":0,"message":"ok","dealIds":[121],"unInstanceIds":{"121":["ins-npphstest"]}}`,
			RunResult{DealIDs: []string{"121"}, InstanceIDs: map[string][]string{"121": {"ins-npphstest"}}}},
		{"code as string", `{"code":"0","codeDesc":"Success","dealIds":["121"],"unInstanceIds":{"121":["ins-a","ins-b"]}}`,
			RunResult{DealIDs: []string{"121"}, InstanceIDs: map[string][]string{"121": {"ins-a", "ins-b"}}}},
		{"array of ids", `{"code":0,"dealIds":[5,6],"unInstanceIds":["ins-a","ins-b"]}`,
			RunResult{DealIDs: []string{"5", "6"}, InstanceIDs: map[string][]string{"": {"ins-a", "ins-b"}}}},
		{"single id per deal", `{"code":0,"dealIds":"9","unInstanceIds":{"9":"ins-a"}}`,
			RunResult{DealIDs: []string{"9"}, InstanceIDs: map[string][]string{"9": {"ins-a"}}}},
		{"ids only", `{"code":0,"unInstanceIds":["ins-a"]}`,
			RunResult{InstanceIDs: map[string][]string{"": {"ins-a"}}}},
		{"style B success", `{"Response":{"InstanceIdSet":["ins-a"],"RequestId":"r"}}`,
			RunResult{InstanceIDs: map[string][]string{"": {"ins-a"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, constant(200, tt.body))
			got, err := f.client(t, nil).RunInstances(context.Background(), nil)
			if err != nil {
				t.Fatalf("RunInstances: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunInstancesFewerIDsThanGoodsNum: an answer of success that names fewer instances than
// were asked for is returned as it is (the rest is planned anew), but one that names none at
// all must not read as a finished purchase, or the whole call would be bought again.
func TestRunInstancesFewerIDsThanGoodsNum(t *testing.T) {
	tests := []struct {
		name     string
		goodsNum string // "" sends none: the API's default is 1
		body     string
		wantIDs  int // 0: want an error of class unknown
	}{
		{"deals only", "", `{"code":0,"dealIds":[121]}`, 0},
		{"deals and an empty map", "2", `{"code":0,"dealIds":[121],"unInstanceIds":{"121":[]}}`, 0},
		{"one of three", "3", `{"code":0,"dealIds":[121],"unInstanceIds":{"121":["ins-a"]}}`, 1},
		{"repeated id counts once", "2", `{"code":0,"dealIds":[121],"unInstanceIds":{"121":["ins-a","ins-a"]}}`, 1},
		{"all three", "3", `{"code":0,"dealIds":[121],"unInstanceIds":{"121":["ins-a","ins-b","ins-c"]}}`, 3},
		{"default one", "", `{"code":0,"dealIds":[121],"unInstanceIds":{"121":["ins-a"]}}`, 1},
		{"more than asked", "1", `{"code":0,"dealIds":[121],"unInstanceIds":{"121":["ins-a","ins-b"]}}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, constant(200, tt.body))
			params := map[string]string{"cpu": "1"}
			if tt.goodsNum != "" {
				params["goodsNum"] = tt.goodsNum
			}
			res, err := f.client(t, nil).RunInstances(context.Background(), params)
			if tt.wantIDs > 0 {
				if err != nil || len(res.AllInstanceIDs()) != tt.wantIDs {
					t.Fatalf("got %+v, %v; want %d instance ids", res, err, tt.wantIDs)
				}
				return
			}
			if ClassOf(err) != ClassUnknown || !errors.Is(err, ErrMalformedAnswer) {
				t.Fatalf("got %+v, %v; want a malformed answer of class unknown", res, err)
			}
			if !strings.Contains(err.Error(), "121") {
				t.Errorf("error %q does not name the deal", err)
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Error
	}{
		{"legacy with name", `{"code":5100,"codeDesc":"OperationFail.SystemBusy","message":"busy"}`,
			Error{Code: 5100, Name: "OperationFail.SystemBusy", Message: "busy", Class: ClassRetryable}},
		{"string code", `{"code":"4000","codeDesc":"InvalidParameter.InvaildZoneId","message":"zone"}`,
			Error{Code: 4000, Name: "InvalidParameter.InvaildZoneId", Message: "zone", Class: ClassParameter}},
		{"code only", `{"code":4100,"message":"signature"}`,
			Error{Code: 4100, Message: "signature", Class: ClassAuth}},
		{"codeDesc Success on failure", `{"code":6000,"codeDesc":"Success","message":"x"}`,
			Error{Code: 6000, Message: "x", Class: ClassRetryable}},
		{"name with code 0", `{"code":0,"codeDesc":"OperationConstraints.AccountBalanceNotEnough"}`,
			Error{Name: "OperationConstraints.AccountBalanceNotEnough", Class: ClassBalance}},
		{"name as code", `{"code":"InvalidParameter","message":"m"}`,
			Error{Name: "InvalidParameter", Message: "m", Class: ClassParameter}},
		{"dotted name as code", `{"code":"OperationFail.SystemBusy"}`,
			Error{Name: "OperationFail.SystemBusy", Class: ClassRetryable}},
		{"style B", `{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad"},"RequestId":"r"}}`,
			Error{Name: "AuthFailure.SignatureFailure", Message: "bad", Class: ClassAuth}},
		{"style B numeric", `{"Response":{"Error":{"Code":"4500","Message":"replay"}}}`,
			Error{Code: 4500, Message: "replay", Class: ClassClock}},
		{"float code", `{"code":4400.0,"codeDesc":"RequestLimitExceeded","message":""}`,
			Error{Code: 4400, Name: "RequestLimitExceeded", Class: ClassRetryable}},
		{"non-string message", `{"code":5300,"message":{"text":"no money"}}`,
			Error{Code: 5300, Class: ClassBalance}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, constant(200, tt.body))
			_, err := f.client(t, nil).RunInstances(context.Background(), nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want *Error", err)
			}
			want := tt.want
			want.Action, want.HTTPStatus = "RunInstances", 200
			if diff := cmp.Diff(&want, e); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorAnswerNamingInstances: an error answer that also names deals or instances may
// have bought them, so it is never a refusal the caller would give up on.
func TestErrorAnswerNamingInstances(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		class  Class
		ids    string // "" when the answer names nothing and keeps its class
	}{
		{"parameter name with code 0", 200, `{"code":0,"codeDesc":"InvalidParameter.X","dealIds":[7],"unInstanceIds":{"7":["ins-a"]}}`, ClassUnknown, "ins-a"},
		{"balance with ids", 200, `{"code":5300,"codeDesc":"OperationConstraints.AccountBalanceNotEnough","message":"m","dealIds":[7],"unInstanceIds":["ins-b"]}`, ClassUnknown, "ins-b"},
		{"partial success", 200, `{"code":5400,"message":"partly","dealIds":["8"]}`, ClassUnknown, "8"},
		{"style B", 200, `{"Response":{"Error":{"Code":"InvalidParameter","Message":"m"},"InstanceIdSet":["ins-c"]}}`, ClassUnknown, "ins-c"},
		{"server error with ids", 500, `{"code":4000,"codeDesc":"InvalidParameter","dealIds":[9],"unInstanceIds":{"9":["ins-d"]}}`, ClassRetryable, "ins-d"},
		{"empty lists", 200, `{"code":5300,"codeDesc":"OperationConstraints.AccountBalanceNotEnough","dealIds":[],"unInstanceIds":{}}`, ClassBalance, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, constant(tt.status, tt.body))
			_, err := f.client(t, nil).RunInstances(context.Background(), nil)
			if ClassOf(err) != tt.class {
				t.Fatalf("error %v has class %v, want %v", err, ClassOf(err), tt.class)
			}
			if tt.ids == "" {
				if errors.Is(err, ErrMalformedAnswer) {
					t.Errorf("error %v: an answer naming nothing read as malformed", err)
				}
				return
			}
			if !errors.Is(err, ErrMalformedAnswer) || !strings.Contains(err.Error(), tt.ids) {
				t.Errorf("error %q: want a malformed answer naming %s", err, tt.ids)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		code int
		want Class
	}{
		{"OperationFail.SystemBusy", 5100, ClassRetryable},
		{"", 6000, ClassRetryable},
		{"InternalError", 0, ClassRetryable},
		{"RequestLimitExceeded", 0, ClassRetryable},
		{"RequestLimitExceeded", 4400, ClassRetryable},
		{"InvalidRequest.RequestConcurrencyExceeded", 4400, ClassRetryable},
		{"InvalidRequest.LimitExceeded", 4400, ClassRetryable},
		{"", 4400, ClassRetryable},
		{"SomethingElse", 4400, ClassRetryable},
		{"LimitExceeded.InstanceQuota", 0, ClassQuota},
		{"OperationFail.QuotaExceeded", 5200, ClassQuota},
		{"ResourceInsufficient.SpecifiedInstanceType", 0, ClassQuota},
		{"", 5200, ClassQuota},
		{"", 4100, ClassAuth},
		{"", 4104, ClassAuth},
		{"", 4110, ClassAuth},
		{"", 4300, ClassAuth},
		{"AuthFailure", 0, ClassAuth},
		{"AuthFailure.SecretIdNotFound", 0, ClassAuth},
		{"InvalidParameter.SignatureFailure", 4100, ClassAuth},
		{"UnauthorizedOperation", 0, ClassAuth},
		{"", 4000, ClassParameter},
		{"", 4600, ClassParameter},
		{"InvalidParameter", 0, ClassParameter},
		{"InvalidParameter.PasswordNotConformSpecs", 4000, ClassParameter},
		{"InvalidParameter.IdempotentParameterMismatch", 4000, ClassUnknown},
		{"InvalidParameterValue.Range", 0, ClassParameter},
		{"MissingParameter", 0, ClassParameter},
		{"InvalidRequest.UnsupportedProtocol", 0, ClassParameter},
		{"", 5300, ClassBalance},
		{"OperationConstraints.AccountBalanceNotEnough", 5300, ClassBalance},
		{"OperationConstraints.AccountBalanceNotEnough", 4000, ClassBalance},
		{"", 4500, ClassClock},
		{"InvalidRequest.ReplayAttack", 4500, ClassClock},
		{"InvalidRequest.ReplayAttack", 0, ClassClock},
		{"", 4200, ClassClock},
		{"", 5000, ClassState},
		{"InvalidParameter.ResourceNotFound", 5000, ClassState},
		{"ResourceNotFound.InstanceNotFound", 0, ClassState},
		{"OperationConstraints.InvaildInstanceStatus", 5100, ClassState},
		{"OperationConstraints.InvalidInstanceStatus", 5100, ClassState},
		{"NotSupport.SharedInstance", 5100, ClassState},
		{"", 5100, ClassUnknown},
		{"OperationFail.AllResourceOpFailed", 5100, ClassUnknown},
		{"", 5400, ClassUnknown},
		{"", 1, ClassUnknown},
		{"NotSupport.InstanceConfig", 5100, ClassParameter},
		{"NotSupport.NotPrepaidUser", 4000, ClassParameter},
		{"NotSupportX", 5100, ClassUnknown},
		{"OperationFail.SystemBusy", 6000, ClassRetryable},
		{"InvalidParameterX", 4000, ClassParameter}, // not a known name: the code decides
		{"AuthFailureX", 0, ClassUnknown},
		{"RequestLimitExceeded.UinLimitExceeded", 4400, ClassRetryable},
		{"MissingParameter.ImageId", 0, ClassParameter},
		{"MissingParameterX", 0, ClassUnknown},
		{"ResourcesSoldOut", 0, ClassQuota},
		{"ResourcesSoldOut.SpecifiedInstanceType", 0, ClassQuota},
		{"ResourcesSoldOutX", 0, ClassUnknown},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.name, tt.code), func(t *testing.T) {
			if got := classify(tt.name, tt.code); got != tt.want {
				t.Errorf("classify(%q, %d) = %v, want %v", tt.name, tt.code, got, tt.want)
			}
		})
	}
}

func TestInquiryInstancePrice(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    int64
		wantErr bool
		err     Class
	}{
		{"number", `{"code":0,"message":"","price":1085}`, 1085, false, 0},
		{"string", `{"code":"0","price":"1085"}`, 1085, false, 0},
		{"float integral", `{"code":0,"price":1085.0}`, 1085, false, 0},
		{"fractional", `{"code":0,"price":10.85}`, 0, true, ClassUnknown},
		{"negative", `{"code":0,"price":-1}`, 0, true, ClassUnknown},
		{"missing", `{"code":0}`, 0, true, ClassUnknown},
		{"error", `{"code":4000,"codeDesc":"InvalidParameter.MissImageId"}`, 0, true, ClassParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, constant(200, tt.body))
			got, err := f.client(t, nil).InquiryInstancePrice(context.Background(), map[string]string{"cpu": "1"})
			if tt.wantErr {
				if err == nil || ClassOf(err) != tt.err {
					t.Fatalf("got %d, %v; want an error of class %v", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestPriceParams(t *testing.T) {
	run := map[string]string{
		"cpu": "2", "mem": "4", "imageId": "img-1", "period": "12", "storageSize": "50",
		"storageType": "2", "instanceType": "CVM.S2", "goodsNum": "3", "bandwidth": "1",
		"bandwidthType": "PayByTraffic", "rootSize": "50", "zoneId": "100003",
		"password": "Secret123!", "keyId": "skey-1", "clientToken": "t", "vpcId": "vpc-1",
		"subnetId": "subnet-1", "instanceName": "web", "privateIpAddresses.0": "10.0.0.5",
	}
	want := map[string]string{
		"instanceType": "1", "instanceModel": "CVM.S2", "cpu": "2", "mem": "4",
		"imageId": "img-1", "imageType": "2", "period": "12", "storageSize": "50",
		"storageType": "2", "goodsNum": "3", "bandwidth": "1", "bandwidthType": "PayByTraffic",
		"rootSize": "50", "zoneId": "100003",
	}
	if diff := cmp.Diff(want, PriceParams(run)); diff != "" {
		t.Errorf("PriceParams (-want +got):\n%s", diff)
	}
	if got := PriceParams(map[string]string{"imageType": "1"})["imageType"]; got != "1" {
		t.Errorf("imageType %q, want the one given", got)
	}
	if _, ok := PriceParams(nil)["instanceModel"]; ok {
		t.Error("instanceModel set without an instanceType")
	}
}

// pager answers DescribeInstances from a list of n instances like the API: offset, limit
// (default 20, at most 100), instanceIds.N filters and totalCount.
func pager(t *testing.T, n int) func(url.Values) (int, string) {
	return func(form url.Values) (int, string) {
		ids := map[string]bool{}
		for k, v := range form {
			if strings.HasPrefix(k, "instanceIds.") {
				ids[v[0]] = true
			}
		}
		if len(ids) > 100 {
			t.Errorf("%d instance ids in one request", len(ids))
		}
		var match []int
		for i := range n {
			if len(ids) == 0 || ids[fmt.Sprintf("ins-%05d", i)] {
				match = append(match, i)
			}
		}
		offset, _ := strconv.Atoi(form.Get("offset"))
		limit, err := strconv.Atoi(form.Get("limit"))
		if err != nil {
			limit = 20
		}
		if limit > 100 {
			return 200, `{"code":4000,"codeDesc":"InvalidParameter","message":"limit"}`
		}
		var items []string
		for j := offset; j < len(match) && j < offset+limit; j++ {
			i := match[j]
			items = append(items, fmt.Sprintf(`{"unInstanceId":"ins-%05d","instanceId":"qcvm%d","instanceName":"n%d","status":"2","zoneId":100003,"projectId":0,"cpu":"2","mem":4,"lanIp":"10.0.0.%d","unImgId":"img-1","imageId":7,"createTime":"2026-01-01 00:00:00","diskInfo":%s,"wanIpSet":["1.2.3.4"]}`,
				i, i, i, i%250, map[bool]string{true: `{"storageType":1,"rootSize":"50"}`, false: `[{"storageType":2,"storageSize":100}]`}[i%2 == 0]))
		}
		return 200, fmt.Sprintf(`{"code":0,"message":"","totalCount":%d,"instanceSet":[%s]}`, len(match), strings.Join(items, ","))
	}
}

func TestDescribePagination(t *testing.T) {
	f := newFake(t, pager(t, 250))
	c := f.client(t, nil)
	got, err := c.DescribeInstances(context.Background(), DescribeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("%d instances, want 250", len(got))
	}
	for i, in := range got {
		want := Instance{ID: fmt.Sprintf("ins-%05d", i), Name: fmt.Sprintf("n%d", i), Status: 2,
			ZoneID: 100003, CPU: 2, Mem: 4, LanIP: fmt.Sprintf("10.0.0.%d", i%250), ImageID: "img-1",
			CreateTime: "2026-01-01 00:00:00",
			PrivateIPs: []string{fmt.Sprintf("10.0.0.%d", i%250)}, PublicIPs: []string{"1.2.3.4"}}
		if diff := cmp.Diff(want, in); diff != "" {
			t.Fatalf("instance %d (-want +got):\n%s", i, diff)
		}
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Errorf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.form.Get("offset") != strconv.Itoa(i*100) || r.form.Get("limit") != "100" {
			t.Errorf("request %d: offset %s limit %s", i, r.form.Get("offset"), r.form.Get("limit"))
		}
	}
}

func TestDescribeManyIDs(t *testing.T) {
	f := newFake(t, pager(t, 300))
	c := f.client(t, nil)
	var ids []string
	for i := 0; i < 300; i += 2 {
		ids = append(ids, fmt.Sprintf("ins-%05d", i))
	}
	ids = append(ids, "ins-99999") // unknown: simply absent from the answer
	pid := 0
	got, err := c.DescribeInstances(context.Background(), DescribeFilter{InstanceIDs: ids, ProjectID: &pid, ZoneID: 100003, SearchWord: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 150 {
		t.Fatalf("%d instances, want 150", len(got))
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (151 ids in chunks of 100)", len(reqs))
	}
	for i, r := range reqs {
		if r.form.Get("instanceIds.0") != ids[i*100] {
			t.Errorf("request %d: instanceIds.0 = %s, want %s", i, r.form.Get("instanceIds.0"), ids[i*100])
		}
		if r.form.Get("projectId") != "0" || r.form.Get("zoneId") != "100003" || r.form.Get("searchWord") != "n" {
			t.Errorf("request %d: filters not sent: %v", i, r.form)
		}
	}
}

func TestDescribeInconsistentPages(t *testing.T) {
	t.Run("totalCount never reached", func(t *testing.T) {
		f := newFake(t, constant(200, `{"code":0,"totalCount":5,"instanceSet":[]}`))
		_, err := f.client(t, nil).DescribeInstances(context.Background(), DescribeFilter{})
		if ClassOf(err) != ClassRetryable {
			t.Fatalf("error %v, want retryable", err)
		}
	})
	t.Run("no totalCount", func(t *testing.T) {
		f := newFake(t, pager(t, 0))
		f.answer = constant(200, `{"code":0,"instanceSet":[{"unInstanceId":"ins-1"}]}`)
		got, err := f.client(t, nil).DescribeInstances(context.Background(), DescribeFilter{})
		if err != nil || len(got) != 1 {
			t.Fatalf("got %v, %v; want one instance", got, err)
		}
	})
	t.Run("no instanceSet", func(t *testing.T) {
		f := newFake(t, constant(200, `{"code":0,"totalCount":0}`))
		got, err := f.client(t, nil).DescribeInstances(context.Background(), DescribeFilter{})
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v; want none", got, err)
		}
	})
	t.Run("bad instance", func(t *testing.T) {
		for _, body := range []string{
			`{"code":0,"totalCount":1,"instanceSet":[{"instanceName":"no id"}]}`,
			`{"code":0,"totalCount":1,"instanceSet":[{"unInstanceId":"ins-1","status":"running"}]}`,
			`{"code":0,"totalCount":1,"instanceSet":[{"unInstanceId":"ins-1","cpu":99999999999}]}`,
			`{"code":0,"totalCount":1,"instanceSet":["ins-1"]}`,
			`{"code":0,"totalCount":1,"instanceSet":{"unInstanceId":"ins-1"}}`,
			`{"code":0,"totalCount":"many","instanceSet":[]}`,
			`{"code":0,"message":"ok"}`,
			`{"code":0,"totalCount":null,"instanceSet":null}`,
			`{"Response":{"RequestId":"r"}}`,
		} {
			f := newFake(t, constant(200, body))
			_, err := f.client(t, nil).DescribeInstances(context.Background(), DescribeFilter{})
			if !errors.Is(err, ErrMalformedAnswer) || ClassOf(err) != ClassUnknown {
				t.Errorf("%s: error %v, want a malformed answer", body, err)
			}
		}
	})
}

func TestErrorText(t *testing.T) {
	f := newFake(t, constant(200, `{"code":4000,"codeDesc":"InvalidParameter.PasswordNotConformSpecs","message":"password"}`))
	_, err := f.client(t, nil).RunInstances(context.Background(), map[string]string{"password": "hunter2-secret"})
	want := "RunInstances: InvalidParameter.PasswordNotConformSpecs (code 4000): password"
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost.": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true,
		"[::1]": true, "128.0.0.1": false, "0.0.0.0": false, "::": false, "example.com": false,
		"": false, "localhost.localdomain": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestEndpointWithoutPath(t *testing.T) {
	f := newFake(t, constant(200, `{"code":0,"price":5}`))
	c, err := New(Config{Endpoint: f.srv.URL, SecretID: testID, SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if want := f.srv.URL + "/v2/index.php"; c.Endpoint() != want {
		t.Errorf("endpoint %q, want %q", c.Endpoint(), want)
	}
	if _, err := c.InquiryInstancePrice(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestDescribeIDsCleaned(t *testing.T) {
	f := newFake(t, pager(t, 5))
	c := f.client(t, nil)
	got, err := c.DescribeInstances(context.Background(), DescribeFilter{InstanceIDs: []string{"", ""}})
	if err != nil || len(got) != 0 || len(f.requests()) != 0 {
		t.Fatalf("blank ids: got %v, %v after %d requests; want nothing and no request", got, err, len(f.requests()))
	}
	got, err = c.DescribeInstances(context.Background(), DescribeFilter{InstanceIDs: []string{"ins-00001", "", "ins-00001", "ins-00003"}})
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, %v; want 2 instances", got, err)
	}
	form := f.requests()[0].form
	if form.Get("instanceIds.0") != "ins-00001" || form.Get("instanceIds.1") != "ins-00003" || form.Has("instanceIds.2") {
		t.Errorf("ids sent: %v", form)
	}
}

func TestTimeoutDefaults(t *testing.T) {
	c, err := New(Config{SecretID: "i", SecretKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.http.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T, want *http.Transport", c.http.Transport)
	}
	if c.timeout != DefaultRequestTimeout || tr.TLSHandshakeTimeout != DefaultConnectTimeout || tr.DialContext == nil {
		t.Errorf("request timeout %v, handshake timeout %v; want %v and %v",
			c.timeout, tr.TLSHandshakeTimeout, DefaultRequestTimeout, DefaultConnectTimeout)
	}
	c, err = New(Config{SecretID: "i", SecretKey: "k", ConnectTimeout: 3 * time.Second, RequestTimeout: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if tr := c.http.Transport.(*http.Transport); c.timeout != 7*time.Second || tr.TLSHandshakeTimeout != 3*time.Second {
		t.Errorf("request timeout %v, handshake timeout %v; want 7s and 3s", c.timeout, tr.TLSHandshakeTimeout)
	}
	own := &http.Client{}
	c, err = New(Config{SecretID: "i", SecretKey: "k", HTTPClient: own})
	if err != nil {
		t.Fatal(err)
	}
	if c.http == own || own.CheckRedirect != nil || c.http.CheckRedirect == nil {
		t.Error("the caller's HTTP client was changed, or redirects are followed")
	}
}
