package cvmsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"time"
)

// ClockPath is the control route of the simulated clock, on the same listener as Path. It is
// not part of the API: it takes no signature and answers loopback clients only.
const ClockPath = "/_sim/clock"

// IsolationPeriod is how long an instance whose deadline passed without renewal stays
// isolated (renewable) before it is released.
const IsolationPeriod = 7 * 24 * time.Hour

// Lapse states of an instance (Instance.Lapse).
const (
	lapseIsolated = "isolated"
	lapseReleased = "released"
)

// addMonths returns t moved by n calendar months in Beijing time, the API's time zone.
func addMonths(t time.Time, n int) time.Time {
	return t.In(beijing).AddDate(0, n, 0)
}

// Now returns the simulated clock: Config.Start (or else Config.Now) plus every advance.
func (s *Server) Now() time.Time {
	base := s.cfg.Start
	if base.IsZero() {
		base = s.cfg.Now()
	}
	return base.Add(time.Duration(s.offset.Load()))
}

// Advance moves the simulated clock forward by d and processes the deadlines passed.
func (s *Server) Advance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("advance the clock by %v: want a duration >= 0", d)
	}
	s.offset.Add(int64(d))
	if err := s.process(); err != nil {
		return fmt.Errorf("advance the clock: %s", err.Message)
	}
	return nil
}

// SetClock moves the simulated clock forward to t and processes the deadlines passed. The
// clock never goes back: deadlines already processed stay processed.
func (s *Server) SetClock(t time.Time) error {
	now := s.Now()
	if t.Before(now) {
		return fmt.Errorf("set the clock to %s: before the simulated time %s; the clock only moves forward",
			t.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return s.Advance(t.Sub(now))
}

// process runs the deadline events due at the simulated clock and saves the result.
func (s *Server) process() *apiError {
	now := s.Now()
	s.mu.Lock()
	changed := s.tick(now)
	s.mu.Unlock()
	if changed {
		if err := s.persist(); err != nil {
			return &apiError{Code: CodeBusy, Name: NameInternalError, Message: "the simulator could not save its data file; try again"}
		}
	}
	return nil
}

// tick runs every deadline event due at now, in the order of their times, and reports
// whether anything changed. Callers hold mu.
func (s *Server) tick(now time.Time) bool {
	if !s.nextEvent.IsZero() && now.Before(s.nextEvent) {
		return false
	}
	type due struct {
		in *Instance
		at time.Time
	}
	changed := false
	for {
		var ds []due
		var next time.Time
		for _, in := range s.instances {
			at, ok := in.event()
			switch {
			case !ok:
			case !at.After(now):
				ds = append(ds, due{in, at})
			case next.IsZero() || at.Before(next):
				next = at
			}
		}
		if len(ds) == 0 {
			if next.IsZero() {
				next = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			s.nextEvent = next
			return changed
		}
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].at.Before(ds[j].at) })
		for _, d := range ds {
			s.lapse(d.in, d.at)
		}
		changed = true
		s.version++
	}
}

// event returns when the instance's next deadline event happens: its deadline while within
// its period, the end of its isolation while isolated; none once released or gone.
func (in *Instance) event() (time.Time, bool) {
	switch in.Lapse {
	case "":
		if gone(in.settled(in.Deadline).Status) {
			return time.Time{}, false
		}
		return in.Deadline, true
	case lapseIsolated:
		return in.Deadline.Add(IsolationPeriod), true
	}
	return time.Time{}, false
}

// lapse runs the deadline event of in at time at: an instance within its period is renewed
// one month when its flag is 1 and the balance pays, or else isolated; an isolated instance
// is released. Callers hold mu.
func (s *Server) lapse(in *Instance, at time.Time) {
	*in = in.settled(at)
	if in.Lapse == lapseIsolated {
		in.Lapse, in.Status, in.Pinned, in.StatusAt = lapseReleased, StatusReturned, true, at
		return
	}
	if in.AutoRenew == 1 {
		price := renewalPrice(in, 1)
		if s.balance == Unlimited || price <= s.balance {
			if s.balance != Unlimited {
				s.balance -= price
			}
			s.nextDeal++
			in.Deadline = addMonths(in.Deadline, 1)
			in.AutoRenewals++
			return
		}
	}
	in.Lapse, in.Status, in.Pinned, in.StatusAt = lapseIsolated, StatusIsolated, true, at
}

// renewalPrice returns the price in fen of renewing in for period months.
func renewalPrice(in *Instance, period int) int64 {
	return priceFen(in.InstanceType, in.CPU, in.Mem, in.StorageType, in.StorageSize, in.RootSize, in.Windows,
		in.BandwidthType, in.Bandwidth, period, 1)
}

// clockJSON is the body of the clock route's requests and answers.
type clockJSON struct {
	Now     string `json:"now,omitempty"`
	Advance string `json:"advance,omitempty"`
}

// serveClock serves the clock route: GET answers {"now": RFC 3339}; POST with
// {"advance": "240h"} or {"now": RFC 3339} moves the clock forward, processes the deadlines
// passed and answers the new time.
func (s *Server) serveClock(w http.ResponseWriter, r *http.Request) {
	if !loopbackRemote(r.RemoteAddr) {
		http.Error(w, "the clock route answers loopback clients only", http.StatusForbidden)
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var req clockJSON
		dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			http.Error(w, "clock: want a JSON object {\"advance\": DURATION} or {\"now\": RFC3339}: "+err.Error(), http.StatusBadRequest)
			return
		}
		var err error
		switch {
		case (req.Advance == "") == (req.Now == ""):
			err = errors.New("give one of advance and now")
		case req.Advance != "":
			var d time.Duration
			if d, err = time.ParseDuration(req.Advance); err == nil {
				err = s.Advance(d)
			}
		default:
			var t time.Time
			if t, err = time.Parse(time.RFC3339, req.Now); err == nil {
				err = s.SetClock(t)
			}
		}
		if err != nil {
			http.Error(w, "clock: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.logf("clock set to %s", s.Now().Format(time.RFC3339))
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed: use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	buf, _ := json.Marshal(clockJSON{Now: s.Now().Format(time.RFC3339)})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(append(buf, '\n'))
}

// loopbackRemote reports whether a request's remote address is a loopback address.
func loopbackRemote(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
