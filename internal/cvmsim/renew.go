package cvmsim

import (
	"fmt"
	"strconv"
	"time"

	"fleet/internal/catalog"
)

// renewable returns the instance id of region (any region when nil) if it exists and can be
// renewed at now, or the error to answer: code 5000 for an id the region does not have, code
// 5100 for an instance released, returned, failed or (unless creating is true) still being
// created. Callers hold mu.
func (s *Server) renewable(region *catalog.Region, id string, now time.Time, creating bool) (*Instance, *apiError) {
	in, ok := s.byID[id]
	if !ok || region != nil && in.Region != region.Code {
		return nil, &apiError{Code: CodeNotFound, Name: NameResourceNotFound, Message: fmt.Sprintf("instance %s does not exist", id)}
	}
	st := in.settled(now)
	switch {
	case in.Lapse == lapseReleased:
		return nil, &apiError{Code: CodeOpFailed, Name: NameInstanceStatus,
			Message: fmt.Sprintf("instance %s was released at %s", id, st.StatusAt.In(beijing).Format(apiTime))}
	case gone(st.Status), st.Status == StatusCreating && !creating:
		return nil, &apiError{Code: CodeOpFailed, Name: NameInstanceStatus,
			Message: fmt.Sprintf("instance %s is in status %d", id, st.Status)}
	}
	return in, nil
}

// periodParam reads the required period of a renewal, 1 to 36 months.
func periodParam(p map[string]string) (int, *apiError) {
	n, err := intParam(p, "period", 0, true)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > 36 {
		return 0, paramErr(NamePeriod, "period %d: want 1 to 36 months", n)
	}
	return n, nil
}

// renewInstance handles RenewInstance: instanceId renewed by period months from its
// deadline, charged to the balance. An isolated instance runs again.
func (s *Server) renewInstance(region *catalog.Region, p map[string]string) (any, *apiError) {
	id := p["instanceId"]
	if id == "" {
		return nil, paramErr(NameMissingParameter, "missing parameter instanceId")
	}
	period, err := periodParam(p)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	s.mu.Lock()
	deal, err := s.renew(region, id, period, now)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if perr := s.persist(); perr != nil {
		return nil, &apiError{Code: CodeBusy, Name: NameInternalError, Message: "the simulator could not save its data file; try again"}
	}
	return renewBody{envelope: okEnvelope(), DealID: strconv.FormatInt(deal, 10)}, nil
}

// renew renews an instance by period months and returns the deal. Callers hold mu.
func (s *Server) renew(region *catalog.Region, id string, period int, now time.Time) (int64, *apiError) {
	in, err := s.renewable(region, id, now, false)
	if err != nil {
		return 0, err
	}
	price := renewalPrice(in, period)
	if s.balance != Unlimited && price > s.balance {
		return 0, &apiError{Code: CodeBalance, Name: NameBalanceNotEnough,
			Message: fmt.Sprintf("your balance is not enough: renewing %s for %d months costs %d fen, the balance is %d fen", id, period, price, s.balance)}
	}
	if s.balance != Unlimited {
		s.balance -= price
	}
	deal := s.nextDeal
	s.nextDeal++
	*in = in.settled(now)
	in.Deadline = addMonths(in.Deadline, period)
	in.Renewals++
	if in.Lapse == lapseIsolated {
		in.Lapse, in.Status, in.Pinned, in.StatusAt = "", StatusRunning, false, now
	}
	s.nextEvent = time.Time{}
	s.version++
	return deal, nil
}

// setAutoRenew handles SetAutoRenew of the trade module: the flag autoRenew (0, 1 or 2) for
// instanceIds.N (at most 100), with one result per instance in detail.
func (s *Server) setAutoRenew(region *catalog.Region, p map[string]string) (any, *apiError) {
	kind, err := intParam(p, "instanceType", 1, false)
	if err != nil {
		return nil, err
	}
	if kind != 1 {
		return nil, paramErr(NameInstanceType, "instanceType %d: want 1 (CVM)", kind)
	}
	ids, err := indexed(p, "instanceIds")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, paramErr(NameMissingParameter, "missing parameter instanceIds.0")
	}
	if len(ids) > 100 {
		return nil, paramErr(NameTooManyInstances, "instanceIds: %d ids, at most 100 a request", len(ids))
	}
	flag, err := intParam(p, "autoRenew", 0, true)
	if err != nil {
		return nil, err
	}
	if flag < 0 || flag > 2 {
		return nil, paramErr(NameAutoRenew, "autoRenew %d: want 0 (notify), 1 (auto-renew) or 2 (never renew)", flag)
	}
	now := s.Now()
	body := batchBody{Detail: map[string]batchItem{}}
	failed := 0
	s.mu.Lock()
	for _, id := range ids {
		task := strconv.FormatInt(s.nextTask, 10)
		s.nextTask++
		// Only a region given with the request limits the ids: the trade module is global.
		in, aerr := s.renewable(region, id, now, true)
		if aerr != nil {
			if _, ok := body.Detail[id]; !ok {
				failed++
			}
			body.Detail[id] = batchItem{Code: aerr.Code, Message: aerr.Message, CodeDesc: aerr.Name, RequestID: task}
			continue
		}
		if in.AutoRenew != flag {
			in.AutoRenew = flag
			s.version++
		}
		body.Detail[id] = batchItem{Code: CodeOK, Message: "ok", CodeDesc: NameSuccess, RequestID: task}
	}
	s.mu.Unlock()
	if perr := s.persist(); perr != nil {
		return nil, &apiError{Code: CodeBusy, Name: NameInternalError, Message: "the simulator could not save its data file; try again"}
	}
	switch {
	case failed == 0:
		body.envelope = okEnvelope()
	case failed == len(body.Detail):
		body.envelope = envelope{Code: CodeOpFailed, Message: "the operation failed for every instance; see detail", CodeDesc: NameAllFailed}
	default:
		body.envelope = envelope{Code: CodePartial, Message: fmt.Sprintf("the operation failed for %d of %d instances; see detail", failed, len(body.Detail)), CodeDesc: NamePartFailed}
	}
	return body, nil
}

// renewalInquiry handles the renewal variant of InquiryInstancePrice: instanceType=1 with
// instanceId and period.
func (s *Server) renewalInquiry(region *catalog.Region, p map[string]string) (any, *apiError) {
	period, err := periodParam(p)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.renewable(region, p["instanceId"], now, false)
	if err != nil {
		return nil, err
	}
	return priceBody{envelope: okEnvelope(), Price: renewalPrice(in, period)}, nil
}
