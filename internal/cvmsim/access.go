package cvmsim

import (
	"fmt"
	"sort"
)

// Instances returns every instance the simulator sold, in the order of purchase, with its
// status at the simulator's clock.
func (s *Server) Instances() []Instance {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Instance, len(s.instances))
	for i, in := range s.instances {
		out[i] = in.settled(now)
	}
	return out
}

// Instance returns the instance with the id, with its status at the simulator's clock.
func (s *Server) Instance(id string) (Instance, bool) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.byID[id]
	if !ok {
		return Instance{}, false
	}
	return in.settled(now), true
}

// PurchaseCount returns how many purchases (deals) were made with clientToken: 1 for a token
// honoured as it should be, more when a forgotten token was sent again.
func (s *Server) PurchaseCount(clientToken string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	deals := map[int64]bool{}
	for _, in := range s.instances {
		if in.ClientToken == clientToken {
			deals[in.DealID] = true
		}
	}
	return len(deals)
}

// Purchases returns the number of purchases (deals) made, replays aside.
func (s *Server) Purchases() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	deals := map[int64]bool{}
	for _, in := range s.instances {
		deals[in.DealID] = true
	}
	return len(deals)
}

// RequestCount returns how many authenticated requests of action the simulator received,
// including those answered with a fault.
func (s *Server) RequestCount(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[action]
}

// SetStatus sets an instance's status, e.g. 5 (returned) or -1 (creation failed); the status
// then stays until set again.
func (s *Server) SetStatus(id string, status int) error {
	s.mu.Lock()
	in, ok := s.byID[id]
	if ok {
		in.Status, in.Pinned, in.StatusAt = status, true, s.cfg.Now()
		s.version++
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("set status of %s: no such instance", id)
	}
	return s.persist()
}

// SetName renames an instance, as a rename in the console does (a marker in its name is
// then gone).
func (s *Server) SetName(id, name string) error {
	s.mu.Lock()
	in, ok := s.byID[id]
	if ok {
		in.Name = name
		s.version++
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("set name of %s: no such instance", id)
	}
	return s.persist()
}

// SetBalance sets the account balance in fen; Unlimited removes the limit.
func (s *Server) SetBalance(fen int64) error {
	if fen < Unlimited {
		return fmt.Errorf("set balance %d: want Unlimited or an amount >= 0", fen)
	}
	s.mu.Lock()
	s.balance = fen
	s.version++
	s.mu.Unlock()
	return s.persist()
}

// Balance returns the account balance in fen, or Unlimited.
func (s *Server) Balance() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// SetQuota sets the most instances the account may hold; 0 means no limit.
func (s *Server) SetQuota(n int) {
	s.mu.Lock()
	s.quota = max(n, 0)
	s.mu.Unlock()
}

// SetFaults changes the shares of requests answered busy and of RunInstances answers dropped.
// With actions, only requests of those actions are answered busy; without, any.
func (s *Server) SetFaults(busyRate, dropRate float64, actions ...string) error {
	if !(busyRate >= 0 && busyRate <= 1 && dropRate >= 0 && dropRate <= 1) {
		return fmt.Errorf("set faults %v, %v: want shares between 0 and 1", busyRate, dropRate)
	}
	s.mu.Lock()
	s.busyRate, s.dropRate = busyRate, dropRate
	s.busyActions = nil
	if len(actions) > 0 {
		s.busyActions = map[string]bool{}
		for _, a := range actions {
			s.busyActions[a] = true
		}
	}
	s.mu.Unlock()
	return nil
}

// Tokens returns the clientTokens the simulator remembers now, sorted.
func (s *Server) Tokens() []string {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t, rec := range s.tokens {
		if s.cfg.TokenTTL == 0 || now.Sub(rec.At) < s.cfg.TokenTTL {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}
