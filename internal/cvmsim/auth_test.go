package cvmsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"fleet/internal/cvm"
)

func TestSignatureMethodsAndVerbs(t *testing.T) {
	e := newEnv(t, Config{})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		for _, sig := range []string{"", "HmacSHA1", "HmacSHA256"} {
			t.Run(method+"/"+sig, func(t *testing.T) {
				a, err := e.do(req{method: method, sigMethod: sig}, "DescribeInstances", nil)
				if err != nil {
					t.Fatal(err)
				}
				wantOK(t, a)
			})
		}
	}
}

func TestSignatureRefused(t *testing.T) {
	e := newEnv(t, Config{})
	host := strings.TrimPrefix(e.srv.URL, "http://")
	cases := []struct {
		name string
		r    req
		code int
		desc string
	}{
		{"wrong key", req{sigMethod: "HmacSHA256", secretKey: "not-the-key"}, CodeSignature, NameSignatureFailure},
		{"host with port signed", req{sigMethod: "HmacSHA256", signHost: host}, CodeSignature, NameSignatureFailure},
		{"other host signed", req{sigMethod: "HmacSHA1", signHost: "cvm.api.qcloud.com"}, CodeSignature, NameSignatureFailure},
		{"no signature", req{omitSig: true}, CodeParameter, NameMissingParameter},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := e.do(c.r, "DescribeInstances", nil)
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, a, c.code, c.desc)
		})
	}
	t.Run("signature of the other verb", func(t *testing.T) {
		// The same parameters signed for POST but sent with GET.
		p := map[string]string{
			"Action": "DescribeInstances", "Region": "gz", "SecretId": DemoSecretID,
			"Nonce": "77", "Timestamp": strconv.FormatInt(e.clock.Now().Unix(), 10),
		}
		rec := signedRecorder(t, e.sim, http.MethodGet, "POST", p)
		wantErr(t, rec, CodeSignature, NameSignatureFailure)
	})
	t.Run("unknown secret id", func(t *testing.T) {
		a, err := e.do(req{}, "DescribeInstances", map[string]string{"SecretId": "AKIDsomeoneelse"})
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, a, CodeSecretID, NameSecretIDNotFound)
	})
	if got := e.sim.RequestCount("DescribeInstances"); got != 0 {
		t.Errorf("RequestCount after refused requests: got %d, want 0", got)
	}
}

func TestCustomCredentials(t *testing.T) {
	e := newEnv(t, Config{SecretID: "AKIDcustom", SecretKey: "custom-key"})
	a, err := e.do(req{secretKey: "custom-key"}, "DescribeInstances", map[string]string{"SecretId": "AKIDcustom"})
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, a)
	a, err = e.do(req{}, "DescribeInstances", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, a, CodeSecretID, NameSecretIDNotFound)
	if _, err := New(Config{SecretID: "only-id"}); err == nil {
		t.Error("New with a secret id and no key: got nil error")
	}
}

func TestTimestampWindow(t *testing.T) {
	e := newEnv(t, Config{})
	now := e.clock.Now().Unix()
	for _, c := range []struct {
		offset int64
		ok     bool
	}{{-301, false}, {301, false}, {-299, true}, {299, true}, {-7200, false}} {
		a, err := e.do(req{timestamp: strconv.FormatInt(now+c.offset, 10)}, "DescribeInstances", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.ok {
			wantOK(t, a)
		} else {
			wantErr(t, a, CodeReplay, NameReplayAttack)
		}
	}
	a, err := e.do(req{timestamp: "yesterday"}, "DescribeInstances", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, a, CodeParameter, NameInvalidParameter)
}

func TestNonceReuse(t *testing.T) {
	e := newEnv(t, Config{})
	a, err := e.do(req{nonce: "123456"}, "DescribeInstances", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, a)
	// The same nonce with another timestamp and another action is still a replay.
	e.clock.Add(2 * time.Minute)
	a, err = e.do(req{nonce: "123456", sigMethod: "HmacSHA256"}, "InquiryInstancePrice", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, a, CodeReplay, NameReplayAttack)
	// A refused signature does not burn a nonce.
	if a, _ = e.do(req{nonce: "99", secretKey: "wrong"}, "DescribeInstances", nil); a.Code != CodeSignature {
		t.Fatalf("wrong key: got %d", a.Code)
	}
	a, _ = e.do(req{nonce: "99"}, "DescribeInstances", nil)
	wantOK(t, a)
	// Long after the window, the nonce may be used again.
	e.clock.Add(25 * time.Minute)
	a, _ = e.do(req{nonce: "123456"}, "DescribeInstances", nil)
	wantOK(t, a)
	for _, bad := range []string{"0", "-5", "abc"} {
		a, _ = e.do(req{nonce: bad}, "DescribeInstances", nil)
		wantErr(t, a, CodeParameter, NameInvalidParameter)
	}
}

func TestCommonParameters(t *testing.T) {
	e := newEnv(t, Config{})
	cases := []struct {
		name   string
		action string
		params map[string]string
		code   int
		desc   string
	}{
		{"missing action", "", nil, CodeParameter, NameMissingParameter},
		{"unknown action", "TerminateInstances", nil, CodeUnsupported, NameActionNotFound},
		{"version given", "DescribeInstances", map[string]string{"Version": "2017-03-12"}, CodeUnsupported, NameActionNotFound},
		{"missing region", "DescribeInstances", map[string]string{"Region": ""}, CodeParameter, NameMissingParameter},
		{"unknown region", "DescribeInstances", map[string]string{"Region": "mars-1"}, CodeParameter, NameRegion},
		{"short region", "DescribeInstances", map[string]string{"Region": "gz"}, 0, NameSuccess},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := e.do(req{}, c.action, c.params)
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, a, c.code, c.desc)
		})
	}
}

func TestMethodAndPath(t *testing.T) {
	e := newEnv(t, Config{})
	resp, err := e.srv.Client().Post(e.srv.URL+"/other", "application/x-www-form-urlencoded", strings.NewReader("Action=DescribeInstances"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("other path: got HTTP %d, want 404", resp.StatusCode)
	}
	r, _ := http.NewRequest(http.MethodPut, e.srv.URL+Path, nil)
	resp, err = e.srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: got HTTP %d, want 405", resp.StatusCode)
	}
	// A parameter given twice is refused, before anything else is looked at.
	resp, err = e.srv.Client().Post(e.srv.URL+Path, "application/x-www-form-urlencoded", strings.NewReader("Action=A&Action=B"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("duplicate parameter: HTTP %d, %v; want 200 with a JSON answer", resp.StatusCode, err)
	}
	if a.Code != CodeParameter || a.CodeDesc != NameInvalidParameter || !strings.Contains(a.Message, "Action given 2 times") {
		t.Errorf("duplicate parameter: got %d %s %q, want 4000 InvalidParameter naming Action", a.Code, a.CodeDesc, a.Message)
	}
}

func TestHostOnly(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8930": "127.0.0.1", "[::1]:8930": "::1", "[::1]": "::1",
		"cvm.api.qcloud.com": "cvm.api.qcloud.com", "localhost:80": "localhost",
	} {
		if got := hostOnly(in); got != want {
			t.Errorf("hostOnly(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestPostIgnoresQueryAndGetIgnoresBody(t *testing.T) {
	e := newEnv(t, Config{})
	p := map[string]string{
		"Action": "DescribeInstances", "Region": "gz", "SecretId": DemoSecretID,
		"Nonce": "31337", "Timestamp": strconv.FormatInt(e.clock.Now().Unix(), 10),
	}
	// A signed POST form with a query string that would change the answer if it were read:
	// another Action (unsupported), a Version (refused) and a Signature that does not verify.
	p["Signature"] = cvm.Sign(cvm.StringToSign(http.MethodPost, "example.com", Path, p), DemoSecretKey, "")
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	query := "?Action=TerminateInstances&Version=2017-03-12&Signature=bogus&Nonce=1"
	r := httptest.NewRequest(http.MethodPost, "http://example.com"+Path+query, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.sim.ServeHTTP(rec, r)
	if !strings.Contains(rec.Body.String(), `"code":0,`) || !strings.Contains(rec.Body.String(), `"codeDesc":"Success"`) {
		t.Errorf("POST with a query string: %s", rec.Body.String())
	}
	r = httptest.NewRequest(http.MethodGet, "http://example.com"+Path, strings.NewReader("Action=DescribeInstances"))
	rec = httptest.NewRecorder()
	e.sim.ServeHTTP(rec, r)
	if !strings.Contains(rec.Body.String(), `"codeDesc":"MissingParameter"`) {
		t.Errorf("GET with a body and no query: %s", rec.Body.String())
	}
}
