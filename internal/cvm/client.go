package cvm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fleet/internal/secret"
)

// DefaultEndpoint is the address of the legacy CVM API.
const DefaultEndpoint = "https://cvm.api.qcloud.com" + defaultPath

// DefaultTradeEndpoint is the address of the trade module of the legacy API, which serves
// SetAutoRenew. A Client of it is made like any other, with this Endpoint.
const DefaultTradeEndpoint = "https://trade.api.qcloud.com" + defaultPath

// defaultPath is the API's path, used for an endpoint given without one.
const defaultPath = "/v2/index.php"

// Default timeouts, used when the Config leaves them zero.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultRequestTimeout = 60 * time.Second
)

// maxAnswerBytes bounds how much of an answer the client reads. A page of 100 instances is far
// below it.
const maxAnswerBytes = 16 << 20

// Config says where and as whom a Client talks to the API.
type Config struct {
	// Endpoint is the full URL of the API, DefaultEndpoint when empty; a URL without a path
	// gets /v2/index.php. Plain http is accepted only for a loopback host, because requests
	// carry instance passwords.
	Endpoint string
	// SecretID and SecretKey are the API key pair; both are required.
	SecretID  string
	SecretKey string
	// Token is the session token of temporary credentials, sent as Token when set.
	Token string
	// Region is sent as the Region common parameter when set.
	Region string
	// SignatureMethod is HmacSHA256 when empty; HmacSHA1 is the only other accepted value.
	SignatureMethod string
	// HTTPClient sends the requests. When nil the client builds one that applies
	// ConnectTimeout. Redirects are never followed, whichever client is used.
	HTTPClient *http.Client
	// Now is the clock of the Timestamp parameter, time.Now when nil.
	Now func() time.Time
	// ConnectTimeout bounds establishing a connection (and the TLS handshake) of the built-in
	// HTTP client. RequestTimeout bounds one whole call: connect, send, wait and read.
	ConnectTimeout time.Duration
	RequestTimeout time.Duration
}

// Client calls one module of the legacy API at one endpoint: it is the Transport of that
// endpoint. Each Call makes exactly one attempt, signed with a fresh Nonce and the current
// Timestamp; it is safe for concurrent use. Its methods RunInstances, DescribeInstances and
// InquiryInstancePrice are shorthands for those of API{CVM: c}, without decorators.
type Client struct {
	endpoint  string
	host      string // host without port, as signed
	path      string
	secretID  string
	secretKey string
	token     string
	region    string
	sigMethod string
	http      *http.Client
	now       func() time.Time
	timeout   time.Duration
}

// reservedParams are the common parameters the client sets itself. A caller's parameter map
// must not carry them, and Version in particular must never be sent: it selects another API.
var reservedParams = []string{
	"Action", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod", "Token",
	"Signature", "Version",
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		// The text of a *url.Error repeats the URL, which may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cvm endpoint: not a URL: %w", err)
	}
	shown := u.Redacted()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("cvm endpoint %q: scheme must be https", shown)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("cvm endpoint %q: no host", shown)
	case u.User != nil:
		return nil, fmt.Errorf("cvm endpoint %q: credentials in the URL are not accepted", shown)
	case u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, fmt.Errorf("cvm endpoint %q: must not carry a query or fragment", shown)
	case u.Scheme == "http" && !IsLoopbackHost(u.Hostname()):
		return nil, fmt.Errorf("cvm endpoint %q: plain http is refused for a non-loopback host because requests carry instance passwords; use https", shown)
	}
	if cfg.SecretID == "" || cfg.SecretKey == "" {
		return nil, errors.New("cvm credentials: secret id and secret key are both required")
	}
	sigMethod := cfg.SignatureMethod
	if sigMethod == "" {
		sigMethod = "HmacSHA256"
	}
	if sigMethod != "HmacSHA256" && sigMethod != "HmacSHA1" {
		return nil, fmt.Errorf("cvm signature method %q: want HmacSHA256 or HmacSHA1", sigMethod)
	}
	connect := cfg.ConnectTimeout
	if connect <= 0 {
		connect = DefaultConnectTimeout
	}
	timeout := cfg.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		hc.Transport = newTransport(connect)
	}
	// A redirect would resend the body, password included, to an address nobody checked.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if u.Path == "" {
		u.Path, u.RawPath = defaultPath, ""
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Client{
		endpoint:  u.String(),
		host:      u.Hostname(),
		path:      u.EscapedPath(),
		secretID:  cfg.SecretID,
		secretKey: cfg.SecretKey,
		token:     cfg.Token,
		region:    cfg.Region,
		sigMethod: sigMethod,
		http:      &hc,
		now:       now,
		timeout:   timeout,
	}, nil
}

func newTransport(connect time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	t.DialContext = d.DialContext
	t.TLSHandshakeTimeout = connect
	return t
}

// IsLoopbackHost reports whether host (without port) names the local machine: "localhost" or
// an address in 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Endpoint returns the URL the client sends its requests to.
func (c *Client) Endpoint() string { return c.endpoint }

// nonce returns a fresh crypto-random positive integer.
func nonce() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	n := binary.BigEndian.Uint64(b[:]) >> 1
	if n == 0 {
		n = 1
	}
	return n
}

// signedForm returns the form of one attempt of action: params plus the common parameters and
// the Signature.
func (c *Client) signedForm(action string, params map[string]string) (url.Values, error) {
	for _, k := range reservedParams {
		if _, ok := params[k]; ok {
			return nil, &Error{Action: action, Class: ClassParameter,
				Err: fmt.Errorf("parameter %s is set by the client and must not be passed in", k)}
		}
	}
	all := make(map[string]string, len(params)+8)
	maps.Copy(all, params)
	all["Action"] = action
	if c.region != "" {
		all["Region"] = c.region
	}
	all["Timestamp"] = strconv.FormatInt(c.now().Unix(), 10)
	all["Nonce"] = strconv.FormatUint(nonce(), 10)
	all["SecretId"] = c.secretID
	all["SignatureMethod"] = c.sigMethod
	if c.token != "" {
		all["Token"] = c.token
	}
	sig := Sign(StringToSign(http.MethodPost, c.host, c.path, all), c.secretKey, c.sigMethod)
	form := make(url.Values, len(all)+1)
	for k, v := range all {
		form.Set(k, v)
	}
	form.Set("Signature", sig)
	return form, nil
}

// Call makes one attempt of action with params, signed with a fresh Nonce and the current
// Timestamp, and returns the answer as Transport describes. An answer may echo a secret
// parameter (the password), as sent or re-encoded: the error's text never holds one.
func (c *Client) Call(ctx context.Context, action string, params map[string]string) (Answer, error) {
	f, err := c.exchange(ctx, action, params)
	return f, MaskError(err, secret.Values(params)...)
}

// exchange sends one attempt of action and reads its answer.
func (c *Client) exchange(ctx context.Context, action string, params map[string]string) (Answer, error) {
	form, err := c.signedForm(action, params)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Action: action, Class: ClassUnknown, Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "fleet")
	resp, err := c.http.Do(req)
	if err != nil {
		// The request may or may not have reached the API; a retry with the same clientToken
		// is how a caller finds out.
		return nil, &Error{Action: action, Class: ClassRetryable, Err: err}
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return nil, &Error{Action: action, HTTPStatus: resp.StatusCode, Class: ClassRetryable,
			Err: fmt.Errorf("read answer: %w", err)}
	}
	if len(body) > maxAnswerBytes {
		return nil, &Error{Action: action, HTTPStatus: resp.StatusCode, Class: ClassUnknown,
			Err: fmt.Errorf("%w: larger than %d bytes", ErrMalformedAnswer, maxAnswerBytes)}
	}
	f, err := parseAnswer(action, resp.StatusCode, bytes.TrimSpace(body))
	return f, c.clockSkew(err, resp.Header.Get("Date"))
}

// clockSkew adds to a refusal of the request's timestamp how far the local clock is from the
// API's, by the Date of its answer: the refusal is definitive, and only setting the clock
// right helps.
func (c *Client) clockSkew(err error, date string) error {
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassClock || date == "" {
		return err
	}
	at, perr := http.ParseTime(date)
	if perr != nil {
		return err
	}
	skew := c.now().Sub(at).Round(time.Second)
	switch {
	case skew > time.Minute:
		e.Message += fmt.Sprintf(" (the local clock is %s ahead of the API's, whose answer is dated %s: set it right; the API refused this request)", skew, at.UTC().Format(time.RFC3339))
	case skew < -time.Minute:
		e.Message += fmt.Sprintf(" (the local clock is %s behind the API's, whose answer is dated %s: set it right; the API refused this request)", -skew, at.UTC().Format(time.RFC3339))
	}
	return err
}

// readBody reads an answer's body, at most maxAnswerBytes+1 bytes, in one buffer sized by
// the answer's Content-Length when it gives one: a page of instances is read without the
// copies of a growing buffer.
func readBody(resp *http.Response) ([]byte, error) {
	var b bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxAnswerBytes {
		b.Grow(int(n) + bytes.MinRead)
	}
	_, err := b.ReadFrom(io.LimitReader(resp.Body, maxAnswerBytes+1))
	return b.Bytes(), err
}
