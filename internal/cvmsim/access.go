package cvmsim

import (
	"fmt"
	"sort"
	"time"
)

// Instances returns every instance the simulator sold, in the order of purchase, with its
// status at the simulator's clock (deadlines passed processed).
func (s *Server) Instances() []Instance {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(now)
	out := make([]Instance, len(s.instances))
	for i, in := range s.instances {
		out[i] = in.settled(now)
	}
	return out
}

// Instance returns the instance with the id, with its status at the simulator's clock.
func (s *Server) Instance(id string) (Instance, bool) {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(now)
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
		in.Status, in.Pinned, in.StatusAt = status, true, s.Now()
		s.nextEvent = time.Time{}
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

// SetFaults changes the shares of requests answered busy and of answers dropped (of the
// actions SetDropActions or Config.DropActions name: RunInstances unless set).
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
	now := s.Now()
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

// RenewalCount returns how many RenewInstance deals renewed the instance (renewals made at
// its deadlines by its flag and renewals through RenewInConsole aside).
func (s *Server) RenewalCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.byID[id]; ok {
		return in.Renewals
	}
	return 0
}

// AutoRenewalCount returns how many times the instance was renewed at its deadline because
// its flag was 1.
func (s *Server) AutoRenewalCount(id string) int {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(now)
	if in, ok := s.byID[id]; ok {
		return in.AutoRenewals
	}
	return 0
}

// RenewInConsole renews an instance by months as the console does: charged to the balance
// like RenewInstance, but not counted by RenewalCount.
func (s *Server) RenewInConsole(id string, months int) error {
	if months < 1 || months > 36 {
		return fmt.Errorf("renew %s: %d months: want 1 to 36", id, months)
	}
	now := s.Now()
	s.mu.Lock()
	s.tick(now)
	_, err := s.renew(nil, id, months, now)
	if err == nil {
		s.byID[id].Renewals--
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("renew %s: %s", id, err.Message)
	}
	return s.persist()
}

// SetAutoRenewFlag sets an instance's renew flag (0 notify, 1 auto-renew, 2 never), as the
// console does.
func (s *Server) SetAutoRenewFlag(id string, flag int) error {
	if flag < 0 || flag > 2 {
		return fmt.Errorf("set the renew flag of %s to %d: want 0, 1 or 2", id, flag)
	}
	s.mu.Lock()
	in, ok := s.byID[id]
	if ok {
		in.AutoRenew = flag
		s.version++
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("set the renew flag of %s: no such instance", id)
	}
	return s.persist()
}

// SetDropActions sets the actions whose answers the drop rate drops; none means
// RunInstances alone.
func (s *Server) SetDropActions(names ...string) error {
	for _, n := range names {
		if _, ok := actions[n]; !ok {
			return fmt.Errorf("set drop actions: %q is not an action the simulator serves", n)
		}
	}
	if len(names) == 0 {
		names = nil
	}
	s.mu.Lock()
	s.dropActions = actionSet(names)
	s.mu.Unlock()
	return nil
}
