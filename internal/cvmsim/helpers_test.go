package cvmsim

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fleet/internal/cvm"
)

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a simulator served on loopback with a signing test client.
type env struct {
	t     *testing.T
	sim   *Server
	srv   *httptest.Server
	clock *clock
	nonce atomic.Uint64
}

// newEnv starts a simulator with cfg (Now set to a test clock unless given) on 127.0.0.1.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	c := newClock()
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	sim, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		if err := sim.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	e := &env{t: t, sim: sim, srv: srv, clock: c}
	e.nonce.Store(1000)
	return e
}

// req describes one request of the test client.
type req struct {
	method    string // GET or POST (default)
	sigMethod string // SignatureMethod; "" sends none (HmacSHA1)
	secretKey string // signing key; "" means the demo key
	signHost  string // host to sign; "" means the request's host without port
	nonce     string // "" means a fresh one
	timestamp string // "" means the clock's now
	omitSig   bool
}

// answer is a decoded style-A answer.
type answer struct {
	Code          int                  `json:"code"`
	Message       string               `json:"message"`
	CodeDesc      string               `json:"codeDesc"`
	DealIDs       []int64              `json:"dealIds"`
	UnInstanceIDs map[string][]string  `json:"unInstanceIds"`
	Price         int64                `json:"price"`
	TotalCount    int                  `json:"totalCount"`
	InstanceSet   []instanceJSON       `json:"instanceSet"`
	DealID        string               `json:"dealId"`
	Detail        map[string]batchItem `json:"detail"`
	raw           string
}

// do sends action with params, signed as r says, and returns the decoded answer or the
// transport error.
func (e *env) do(r req, action string, params map[string]string) (answer, error) {
	e.t.Helper()
	p := maps.Clone(params)
	if p == nil {
		p = map[string]string{}
	}
	if action != "" {
		p["Action"] = action
	}
	if _, ok := p["Region"]; !ok {
		p["Region"] = "ap-guangzhou"
	}
	if _, ok := p["SecretId"]; !ok {
		p["SecretId"] = DemoSecretID
	}
	p["Nonce"] = r.nonce
	if r.nonce == "" {
		p["Nonce"] = strconv.FormatUint(e.nonce.Add(1), 10)
	}
	p["Timestamp"] = r.timestamp
	if r.timestamp == "" {
		p["Timestamp"] = strconv.FormatInt(e.clock.Now().Unix(), 10)
	}
	if r.sigMethod != "" {
		p["SignatureMethod"] = r.sigMethod
	}
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	u, _ := url.Parse(e.srv.URL + Path)
	host := r.signHost
	if host == "" {
		host = u.Hostname()
	}
	key := r.secretKey
	if key == "" {
		key = DemoSecretKey
	}
	if !r.omitSig {
		p["Signature"] = cvm.Sign(cvm.StringToSign(method, host, Path, p), key, r.sigMethod)
	}
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = e.srv.Client().Get(e.srv.URL + Path + "?" + form.Encode())
	} else {
		resp, err = e.srv.Client().Post(e.srv.URL+Path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	}
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: HTTP %d: %s", method, action, resp.StatusCode, b)
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		e.t.Fatalf("%s %s: answer is not JSON: %v: %s", method, action, err, b)
	}
	a.raw = string(b)
	return a, nil
}

// call sends a POST signed with HmacSHA256 and fails the test on a transport error.
func (e *env) call(action string, params map[string]string) answer {
	e.t.Helper()
	a, err := e.do(req{sigMethod: "HmacSHA256"}, action, params)
	if err != nil {
		e.t.Fatalf("%s: %v", action, err)
	}
	return a
}

// wantOK fails the test unless a is a success.
func wantOK(t *testing.T, a answer) {
	t.Helper()
	if a.Code != 0 || a.CodeDesc != NameSuccess {
		t.Fatalf("got code %d %s (%s), want 0 Success; answer %s", a.Code, a.CodeDesc, a.Message, a.raw)
	}
}

// wantErr fails the test unless a is the error code/name.
func wantErr(t *testing.T, a answer, code int, name string) {
	t.Helper()
	if a.Code != code || a.CodeDesc != name {
		t.Fatalf("got code %d %s (%s), want %d %s", a.Code, a.CodeDesc, a.Message, code, name)
	}
}

// runParams returns a valid RunInstances request: one CVM.S2 2/4 in Guangzhou zone 3.
func runParams() map[string]string {
	return map[string]string{
		"cpu": "2", "mem": "4", "imageId": "img-lkxqa4kj", "period": "1", "storageSize": "0",
		"instanceType": "CVM.S2", "zoneId": "100003", "goodsNum": "1",
	}
}

// with returns a copy of p with the changes; an empty value deletes the parameter.
func with(p map[string]string, kv ...string) map[string]string {
	out := maps.Clone(p)
	if out == nil {
		out = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

// signedRecorder serves one request through a ResponseRecorder: p signed for signVerb with
// the demo key and host example.com, sent with verb.
func signedRecorder(t *testing.T, h http.Handler, verb, signVerb string, p map[string]string) answer {
	t.Helper()
	p = maps.Clone(p)
	p["Signature"] = cvm.Sign(cvm.StringToSign(signVerb, "example.com", Path, p), DemoSecretKey, p["SignatureMethod"])
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	var r *http.Request
	if verb == http.MethodGet {
		r = httptest.NewRequest(verb, "http://example.com:8080"+Path+"?"+form.Encode(), nil)
	} else {
		r = httptest.NewRequest(verb, "http://example.com:8080"+Path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, rec.Body.String())
	}
	a.raw = rec.Body.String()
	return a
}
