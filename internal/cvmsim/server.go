package cvmsim

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fleet/internal/catalog"
	"fleet/internal/cvm"
)

// replayWindow is how far a request's Timestamp may be from the simulator's clock.
const replayWindow = 5 * time.Minute

// maxBody is the largest request body read, the API's limit for signature v1 POSTs.
const maxBody = 1 << 20

// Server is the simulator: an http.Handler serving the legacy API at Path.
type Server struct {
	cfg     Config
	cat     *catalog.Catalog
	seed    int64
	images  map[string]bool // image ids of Config.Images or the built-in list; not changed after New
	windows map[string]bool // Windows image ids; not changed after New
	nonces  nonceSet
	offset  atomic.Int64 // how far the simulated clock is ahead of its base, in nanoseconds

	saveMu   sync.Mutex // serialises writes of the data file
	savedVer uint64     // the version on disk; guarded by saveMu
	logMu    sync.Mutex // serialises log lines

	mu       sync.Mutex // guards everything below
	rng      *rand.Rand
	busyRate float64
	dropRate float64
	// dropActions are the actions whose answers dropRate drops.
	dropActions map[string]bool
	// busyActions, when set, are the only actions answered busy.
	busyActions map[string]bool
	quota       int
	balance     int64 // fen; Unlimited for no limit
	nextDeal    int64
	instances   []*Instance // in creation order
	byID        map[string]*Instance
	pos         map[string]int // an instance's index in instances
	tokens      map[string]*tokenRecord
	vpcs        map[string]*VPC
	subnets     map[string]*subnetInfo
	counts      map[string]int // authenticated requests by Action
	version     uint64         // incremented by every change worth saving
	// nextEvent is the earliest deadline event (expiry, auto-renewal, release) not yet
	// processed; zero means unknown: the next tick looks at every instance.
	nextEvent time.Time
	nextTask  int64 // requestId of the next batch detail
}

// subnetInfo is a subnet with its VPC and parsed CIDR.
type subnetInfo struct {
	Subnet
	vpc    string
	prefix netip.Prefix
}

// New returns a simulator set up by cfg, with the state of cfg.DataPath when that file
// exists.
func New(cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("new simulator: %w", err)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	s := &Server{
		cfg:      cfg,
		cat:      catalog.Default(),
		seed:     seed,
		images:   map[string]bool{},
		windows:  map[string]bool{},
		rng:      rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		busyRate: cfg.BusyRate,
		dropRate: cfg.DropRate,
		quota:    cfg.Quota,
		balance:  Unlimited,
		nextDeal: 20000001,
		byID:     map[string]*Instance{},
		pos:      map[string]int{},
		tokens:   map[string]*tokenRecord{},
		vpcs:     map[string]*VPC{},
		subnets:  map[string]*subnetInfo{},
		counts:   map[string]int{},
		nextTask: 1,
	}
	s.dropActions = actionSet(cfg.DropActions)
	if cfg.BalanceFen > 0 {
		s.balance = cfg.BalanceFen
	}
	images := cfg.Images
	if images == nil {
		images = DefaultImages()
	}
	for _, id := range images {
		s.images[id] = true
	}
	for _, id := range cfg.WindowsImages {
		s.windows[id] = true
	}
	if cfg.DataPath != "" {
		if err := s.load(cfg.DataPath); err != nil {
			return nil, err
		}
	}
	for _, v := range cfg.VPCs {
		if err := s.addVPC(v); err != nil {
			return nil, fmt.Errorf("new simulator: %w", err)
		}
	}
	if cfg.DataPath != "" {
		s.version++
		if err := s.save(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Seed returns the seed of the simulator's random choices.
func (s *Server) Seed() int64 { return s.seed }

// addVPC adds the subnets of v to the VPC v.ID, creating it if needed; a subnet already in
// that VPC is replaced. A subnet id of another VPC and overlapping CIDRs in one VPC are
// refused. Callers hold mu or own s exclusively.
func (s *Server) addVPC(v VPC) error {
	if err := v.check(); err != nil {
		return err
	}
	merged := map[string]Subnet{}
	if old, ok := s.vpcs[v.ID]; ok {
		for _, sn := range old.Subnets {
			merged[sn.ID] = sn
		}
	}
	for _, sn := range v.Subnets {
		if other, ok := s.subnets[sn.ID]; ok && other.vpc != v.ID {
			return fmt.Errorf("subnet %s: already in %s", sn.ID, other.vpc)
		}
		merged[sn.ID] = sn
	}
	all := VPC{ID: v.ID}
	for _, sn := range merged {
		all.Subnets = append(all.Subnets, sn)
	}
	sort.Slice(all.Subnets, func(i, j int) bool { return all.Subnets[i].ID < all.Subnets[j].ID })
	infos := make([]*subnetInfo, len(all.Subnets))
	for i, sn := range all.Subnets {
		infos[i] = &subnetInfo{Subnet: sn, vpc: v.ID, prefix: netip.MustParsePrefix(sn.CIDR)} // checked by v.check or earlier
		for _, prev := range infos[:i] {
			if prev.prefix.Overlaps(infos[i].prefix) {
				return fmt.Errorf("vpc %s: subnets %s (%s) and %s (%s) overlap", v.ID, prev.ID, prev.CIDR, sn.ID, sn.CIDR)
			}
		}
	}
	s.vpcs[v.ID] = &all
	for _, in := range infos {
		s.subnets[in.ID] = in
	}
	return nil
}

// AddVPC makes a VPC and its subnets known to the simulator. A VPC already known gains the
// subnets; a subnet already in it is replaced.
func (s *Server) AddVPC(v VPC) error {
	s.mu.Lock()
	err := s.addVPC(v)
	if err == nil {
		s.version++
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("add vpc: %w", err)
	}
	return s.persist()
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.URL.Path == ClockPath {
		s.serveClock(w, r)
		return
	}
	if r.URL.Path != Path {
		http.NotFound(w, r)
		return
	}
	var params map[string]string
	var err *apiError
	switch r.Method {
	case http.MethodGet:
		params, err = flatten(r.URL.Query())
	case http.MethodPost:
		params, err = readForm(r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed: use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	if !waitFor(r.Context(), s.delay()) {
		// The client gave up or the server is stopping: nothing was done, and no
		// answer is sent (an empty answer would read as an unknown outcome).
		s.logf("%s %s abandoned during the simulated latency", r.Method, params["Action"])
		dropConnection(w)
		return
	}
	var body any
	drop := false
	if err == nil {
		body, drop, err = s.handle(r.Method, hostOnly(r.Host), r.URL.Path, params)
	}
	if err != nil {
		body = err.envelope()
	}
	s.logRequest(r.Method, params, body, drop, time.Since(start))
	if drop {
		dropConnection(w)
		return
	}
	if !waitFor(r.Context(), s.cfg.AnswerDelay) {
		// The request took effect; its client gave up before the answer.
		s.logf("%s %s done, answer abandoned during the answer delay", r.Method, params["Action"])
		dropConnection(w)
		return
	}
	buf, merr := json.Marshal(body)
	if merr != nil {
		http.Error(w, "encode answer: "+merr.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)+1))
	w.Write(append(buf, '\n'))
}

// waitFor waits d (nothing when d is not positive) and reports false if ctx ends first.
func waitFor(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// The connection cannot be taken over (HTTP/2, a recorder): ErrAbortHandler is the
	// net/http way to abort the answer, which resets the stream without an answer.
	panic(http.ErrAbortHandler)
}

// readForm reads a POST body as a form, ignoring the query string as the API does.
func readForm(r *http.Request) (map[string]string, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, paramErr(NameInvalidParameter, "read request body: %v", err)
	}
	if len(body) > maxBody {
		return nil, paramErr(NameInvalidParameter, "request body larger than %d bytes", maxBody)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, paramErr(NameInvalidParameter, "content type %q: want application/x-www-form-urlencoded", ct)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, paramErr(NameInvalidParameter, "request body is not a valid form: %v", err)
	}
	return flatten(v)
}

// flatten turns form values into single values; a parameter given twice is refused, because
// its signed value would be ambiguous.
func flatten(v url.Values) (map[string]string, *apiError) {
	p := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) != 1 {
			return nil, paramErr(NameInvalidParameter, "parameter %s given %d times", k, len(vs))
		}
		p[k] = vs[0]
	}
	return p, nil
}

// dotted returns the parameters with every "_" in a name read as "." (instanceIds_0 is
// instanceIds.0), the rule by which the API signs and reads names; values are kept. Two names
// that then coincide are refused, because either value could be meant.
func dotted(p map[string]string) (map[string]string, *apiError) {
	out := make(map[string]string, len(p))
	sent := make(map[string]string, len(p)) // name read -> name as sent
	for k, v := range p {
		name := strings.ReplaceAll(k, "_", ".")
		if other, ok := sent[name]; ok {
			a, b := min(k, other), max(k, other)
			return nil, paramErr(NameInvalidParameter, "parameters %s and %s are both %s", a, b, name)
		}
		sent[name] = k
		out[name] = v
	}
	return out, nil
}

// hostOnly strips the port (and IPv6 brackets) from a Host header, as the signature wants.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// handle authenticates a request, injects faults and runs its action. drop reports that the
// answer must not be sent.
func (s *Server) handle(method, host, path string, p map[string]string) (body any, drop bool, err *apiError) {
	for _, name := range []string{"Action", "SecretId", "Signature", "Timestamp", "Nonce"} {
		if p[name] == "" {
			return nil, false, paramErr(NameMissingParameter, "missing common parameter %s", name)
		}
	}
	if p["SecretId"] != s.cfg.SecretID {
		return nil, false, &apiError{Code: CodeSecretID, Name: NameSecretIDNotFound, Message: "SecretId not found"}
	}
	want := cvm.Sign(cvm.StringToSign(method, host, path, p), s.cfg.SecretKey, p["SignatureMethod"])
	if !hmac.Equal([]byte(want), []byte(p["Signature"])) {
		return nil, false, &apiError{Code: CodeSignature, Name: NameSignatureFailure,
			Message: "signature does not match: sign METHOD + host without port + path + ? + the sorted raw parameters"}
	}
	// The signature covered the names as sent; from here on they are read with "_" as ".",
	// as the signature rule reads them.
	p, err = dotted(p)
	if err != nil {
		return nil, false, err
	}
	now := s.cfg.Now()
	ts, perr := strconv.ParseInt(p["Timestamp"], 10, 64)
	if perr != nil {
		return nil, false, paramErr(NameInvalidParameter, "Timestamp %q is not a number of seconds", p["Timestamp"])
	}
	if skew := now.Sub(time.Unix(ts, 0)); skew > replayWindow || skew < -replayWindow {
		return nil, false, &apiError{Code: CodeReplay, Name: NameReplayAttack,
			Message: fmt.Sprintf("Timestamp %d is more than 5 minutes away from the server time %d", ts, now.Unix())}
	}
	nonce, perr := strconv.ParseUint(p["Nonce"], 10, 64)
	if perr != nil || nonce == 0 {
		return nil, false, paramErr(NameInvalidParameter, "Nonce %q is not a positive integer", p["Nonce"])
	}
	if s.nonces.seen(nonce, now) {
		return nil, false, &apiError{Code: CodeReplay, Name: NameReplayAttack,
			Message: fmt.Sprintf("Nonce %d was already used", nonce)}
	}
	if v, ok := p["Version"]; ok {
		return nil, false, &apiError{Code: CodeUnsupported, Name: NameActionNotFound,
			Message: fmt.Sprintf("Version %q selects the 2017-03-12 API, which this endpoint does not serve; send no Version", v)}
	}
	name := p["Action"]
	act, ok := actions[name]
	if !ok {
		return nil, false, &apiError{Code: CodeUnsupported, Name: NameActionNotFound,
			Message: fmt.Sprintf("action %q is not supported", name)}
	}
	s.mu.Lock()
	s.counts[name]++
	busy := s.busyRate > 0 && (s.busyActions == nil || s.busyActions[name]) && s.rng.Float64() < s.busyRate
	drop = s.dropActions[name] && s.dropRate > 0 && s.rng.Float64() < s.dropRate
	s.mu.Unlock()
	if busy {
		return nil, false, &apiError{Code: CodeBusy, Name: NameSystemBusy, Message: "resource purchase busy, try again later"}
	}
	var region *catalog.Region
	switch {
	case p["Region"] != "":
		if region, ok = s.cat.Region(p["Region"]); !ok {
			return nil, false, paramErr(NameRegion, "unknown Region %q", p["Region"])
		}
	case act.regional:
		return nil, false, paramErr(NameMissingParameter, "missing common parameter Region")
	}
	if err := s.process(); err != nil {
		return nil, false, err
	}
	body, err = act.handle(s, region, p)
	return body, drop, err
}

// action is an entry of the action table: the module that serves it, whether it needs a
// Region, and its handler. region is nil only for an action that is not regional and was
// sent without one.
type action struct {
	module   string // "cvm" or "trade"
	regional bool
	handle   func(s *Server, region *catalog.Region, p map[string]string) (any, *apiError)
}

// actions is the action table: every action the simulator serves, by name.
var actions = map[string]action{
	"RunInstances":         {module: "cvm", regional: true, handle: (*Server).runInstances},
	"DescribeInstances":    {module: "cvm", regional: true, handle: (*Server).describeInstances},
	"InquiryInstancePrice": {module: "cvm", regional: true, handle: (*Server).inquiryPrice},
	"RenewInstance":        {module: "cvm", regional: true, handle: (*Server).renewInstance},
	"SetAutoRenew":         {module: "trade", handle: (*Server).setAutoRenew},
}

// Serves reports whether the simulator serves the action.
func Serves(name string) bool {
	_, ok := actions[name]
	return ok
}

// actionSet returns names as a set; nil names means RunInstances alone.
func actionSet(names []string) map[string]bool {
	if names == nil {
		names = []string{"RunInstances"}
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// delay returns the simulated latency of one request.
func (s *Server) delay() time.Duration {
	d := s.cfg.Latency
	if s.cfg.Jitter > 0 {
		s.mu.Lock()
		d += time.Duration(s.rng.Int64N(int64(s.cfg.Jitter)))
		s.mu.Unlock()
	}
	return d
}

// logRequest writes one line about a request, without any parameter value but the token.
func (s *Server) logRequest(method string, p map[string]string, body any, drop bool, took time.Duration) {
	if s.cfg.Log == nil {
		return
	}
	var env envelope
	if b, ok := body.(interface{ head() envelope }); ok {
		env = b.head()
	}
	extra := ""
	if t := p["clientToken"]; t != "" && p["Action"] == "RunInstances" {
		extra = " clientToken=" + t
	}
	if drop {
		extra += " answer dropped"
	}
	s.logf("%s %s code=%d %s%s %s", method, p["Action"], env.Code, env.CodeDesc, extra, took.Round(time.Microsecond))
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "sim: "+format+"\n", args...)
}

// nonceSet remembers the nonces of the replay window. Nonces live in two generations that
// rotate every two windows, so that each is remembered for at least two windows: long enough
// for any request whose timestamp is still acceptable.
type nonceSet struct {
	mu        sync.Mutex
	cur, prev map[uint64]struct{}
	since     time.Time
}

// seen reports whether nonce was already used, and records it if not.
func (n *nonceSet) seen(nonce uint64, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if age := now.Sub(n.since); n.cur == nil || age >= 2*replayWindow || age < 0 {
		n.prev = nil
		if n.cur != nil && age >= 0 && age < 4*replayWindow {
			n.prev = n.cur
		}
		n.cur, n.since = map[uint64]struct{}{}, now
	}
	if _, ok := n.cur[nonce]; ok {
		return true
	}
	if _, ok := n.prev[nonce]; ok {
		return true
	}
	n.cur[nonce] = struct{}{}
	return false
}
