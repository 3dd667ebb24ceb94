package cvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Renewal periods accepted by RenewInstance and the renewal price, in months.
const (
	MinRenewPeriod = 1
	MaxRenewPeriod = 36
)

// MaxAutoRenewIDs is the most instances one SetAutoRenew call may name.
const MaxAutoRenewIDs = 100

// The values of SetAutoRenew's autoRenew flag, as DescribeInstances reports them too.
const (
	AutoRenewNotify = 0 // no auto-renewal; the owner is notified before the deadline
	AutoRenewOn     = 1 // renewed one month at each deadline while the balance pays
	AutoRenewNever  = 2 // never renewed, no notice
)

// Batch codes of the legacy API (section 5.3 of the reference): a batch whose every resource
// failed, and one of which some failed. Both carry the per-resource results in detail.
const (
	codeAllFailed  = 5100
	codePartFailed = 5400
)

// RenewalPrice asks the price in fen of renewing instanceID for period months (1 to 36),
// using the renewal variant of InquiryInstancePrice: instanceType=1, instanceId and period.
// An instance that does not exist or cannot be renewed is an error of ClassState.
func (a API) RenewalPrice(ctx context.Context, instanceID string, period int) (int64, error) {
	const action = "InquiryInstancePrice"
	if err := checkRenewal(action, instanceID, period); err != nil {
		return 0, err
	}
	f, err := a.cvm().Call(ctx, action, map[string]string{
		"instanceType": "1",
		"instanceId":   instanceID,
		"period":       strconv.Itoa(period),
	})
	if err != nil {
		return 0, callErr(err)
	}
	return parsePrice(action, f)
}

// RenewInstance renews instanceID for period months (1 to 36), charged to the balance, and
// returns the deal. The action takes no client token: an attempt whose error is not Refused
// may have renewed, and sending it again could renew twice. Whoever resends it reads the
// instance's deadline first. A balance that does not cover the renewal is ClassBalance; an
// instance that does not exist or whose status refuses a renewal is ClassState. A success
// without a deal id is an error of ClassUnknown that wraps ErrMalformedAnswer: the renewal
// may have been made.
func (a API) RenewInstance(ctx context.Context, instanceID string, period int) (string, error) {
	const action = "RenewInstance"
	if err := checkRenewal(action, instanceID, period); err != nil {
		return "", err
	}
	f, err := a.cvm().Call(ctx, action, map[string]string{
		"instanceId": instanceID,
		"period":     strconv.Itoa(period),
	})
	if err != nil {
		return "", callErr(err)
	}
	return parseDealID(action, f)
}

// checkRenewal refuses, before anything is sent, what the API would refuse.
func checkRenewal(action, instanceID string, period int) error {
	switch {
	case instanceID == "":
		return &Error{Action: action, Class: ClassParameter, Err: fmt.Errorf("no instance id")}
	case period < MinRenewPeriod || period > MaxRenewPeriod:
		return &Error{Action: action, Class: ClassParameter,
			Err: fmt.Errorf("period %d: want %d to %d months", period, MinRenewPeriod, MaxRenewPeriod)}
	}
	return nil
}

// parseDealID reads the dealId of a successful RenewInstance, a string or a number.
func parseDealID(action string, f Answer) (string, error) {
	r, ok := f.Get("dealId", "DealId")
	if !ok || isNull(r) {
		return "", malformed(action, 200, "success without dealId")
	}
	id, err := stringOf(r)
	if err != nil {
		return "", malformed(action, 200, "dealId: %v", err)
	}
	if id == "" {
		return "", malformed(action, 200, "success with an empty dealId")
	}
	return id, nil
}

// SetAutoRenewResult is what one SetAutoRenew call did, instance by instance.
type SetAutoRenewResult struct {
	// Items holds one result per instance asked about, in the order asked, each id once.
	Items []BatchItem
}

// BatchItem is the result of a batch action for one instance.
type BatchItem struct {
	InstanceID string
	// Err is nil when the action succeeded for the instance; else the API's error for it,
	// with its Code, Name, Message and Class (ClassState for an instance that does not exist
	// or whose status refuses the action). An instance the answer says nothing about has an
	// error of ClassUnknown.
	Err *Error
}

// Failed returns the items whose action failed, in order.
func (r SetAutoRenewResult) Failed() []BatchItem {
	var out []BatchItem
	for _, it := range r.Items {
		if it.Err != nil {
			out = append(out, it)
		}
	}
	return out
}

// Succeeded returns the ids of the instances whose flag was set, in order.
func (r SetAutoRenewResult) Succeeded() []string {
	var out []string
	for _, it := range r.Items {
		if it.Err == nil {
			out = append(out, it.InstanceID)
		}
	}
	return out
}

// SetAutoRenew sets the renew flag (AutoRenewNotify, AutoRenewOn or AutoRenewNever) of ids,
// 1 to MaxAutoRenewIDs distinct ids after blanks and repeats are dropped, through the trade
// module (instanceType=1, instanceIds.N, autoRenew). Setting a flag is idempotent.
//
// The answer is the batch format: code 0 when every instance succeeded, 5100 when all
// failed, 5400 when some did, with a result per instance in detail. An answer with detail is
// no error of the call, whatever its code: each instance's result is in the returned items,
// and an instance missing from detail is failed with ClassUnknown. A 5100 or 5400 answer
// without a readable detail, and every other error, is the call's error, with no items.
func (a API) SetAutoRenew(ctx context.Context, ids []string, flag int) (SetAutoRenewResult, error) {
	const action = "SetAutoRenew"
	ids = uniqueIDs(ids)
	switch {
	case len(ids) == 0:
		return SetAutoRenewResult{}, &Error{Action: action, Class: ClassParameter, Err: fmt.Errorf("no instance id")}
	case len(ids) > MaxAutoRenewIDs:
		return SetAutoRenewResult{}, &Error{Action: action, Class: ClassParameter,
			Err: fmt.Errorf("%d instance ids, at most %d a call", len(ids), MaxAutoRenewIDs)}
	case flag < AutoRenewNotify || flag > AutoRenewNever:
		return SetAutoRenewResult{}, &Error{Action: action, Class: ClassParameter,
			Err: fmt.Errorf("autoRenew %d: want 0 (notify), 1 (auto-renew) or 2 (never renew)", flag)}
	}
	params := map[string]string{"instanceType": "1", "autoRenew": strconv.Itoa(flag)}
	for i, id := range ids {
		params["instanceIds."+strconv.Itoa(i)] = id
	}
	f, err := a.trade().Call(ctx, action, params)
	if errors.Is(err, ErrResolved) {
		return SetAutoRenewResult{}, nil
	}
	return parseBatch(action, ids, f, err)
}

// parseBatch reads the answer of a batch action over ids: f and err as Call returned them.
func parseBatch(action string, ids []string, f Answer, err error) (SetAutoRenewResult, error) {
	var detail json.RawMessage
	if f != nil {
		if r, ok := f.Get("detail"); ok && !isNull(r) {
			detail = r
		}
	}
	if err != nil {
		// Only a batch answer with its detail is read further: every other error is the
		// call's.
		var e *Error
		if !errors.As(err, &e) || e.Code != codeAllFailed && e.Code != codePartFailed || detail == nil {
			return SetAutoRenewResult{}, err
		}
	}
	res := SetAutoRenewResult{Items: make([]BatchItem, len(ids))}
	if detail == nil {
		// Success without detail: the envelope says every instance succeeded.
		for i, id := range ids {
			res.Items[i] = BatchItem{InstanceID: id}
		}
		return res, nil
	}
	items, derr := decodeObject(detail)
	if derr != nil {
		if err != nil {
			return SetAutoRenewResult{}, err
		}
		// Success with a detail that cannot be read: which instances took the action is not
		// known.
		return SetAutoRenewResult{}, malformed(action, 200, "detail: %v", derr)
	}
	for i, id := range ids {
		res.Items[i] = BatchItem{InstanceID: id, Err: batchItemError(action, id, items)}
	}
	return res, nil
}

// batchItemError reads the result of id in a batch answer's detail: nil for success, else
// its error.
func batchItemError(action, id string, detail Answer) *Error {
	r, ok := detail[id]
	if !ok || isNull(r) {
		return &Error{Action: action, Class: ClassUnknown, Err: fmt.Errorf("instance %s: not in the answer's detail", id)}
	}
	item, err := decodeObject(r)
	if err != nil {
		return malformed(action, 200, "detail of %s: %v", id, err)
	}
	e, err := envelopeError(action, 200, item)
	if err != nil {
		// The item's envelope cannot be read: a malformed answer, told of which instance.
		var me *Error
		if errors.As(err, &me) {
			me.Err = fmt.Errorf("detail of %s: %w", id, me.Err)
			return me
		}
		return malformed(action, 200, "detail of %s: %v", id, err)
	}
	return e
}
