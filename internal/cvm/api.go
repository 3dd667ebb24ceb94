package cvm

import (
	"context"
	"errors"
)

// Transport sends one attempt of an action of the legacy API and returns its answer. It is
// the one seam between the actions and the wire: *Client implements it for one endpoint, and
// whatever must apply to every attempt of every action (retries, a rate limit, a log of
// attempts, detaching from cancellation) wraps a Transport once, seeing nothing but the
// action's name, its parameters and the answer.
//
// Call returns the members of the answer object with a nil error when the API answered with
// success. When the API answered with an error object that could be read, Call returns the
// *Error together with the members of that answer: a batch action's answer of 5100 or 5400
// carries its per-instance results there. Otherwise (the request failed, or the answer could
// not be read) the Answer is nil. Every error of *Client is a *Error with a Class, whose text
// holds no secret of params; a decorator may also end a call with the context's error
// before anything is sent, or with ErrResolved. A Transport must be safe for concurrent use.
type Transport interface {
	Call(ctx context.Context, action string, params map[string]string) (Answer, error)
}

// API is the typed layer over transports: one method per action, each built on Call and on
// nothing else, so that every decorator of a Transport applies to every action, and to every
// page of DescribeInstances. A new action is a method here; nothing below changes.
//
// API is a value: copies share the transports. Its methods are safe for concurrent use when
// the transports are.
type API struct {
	// CVM is the transport of the CVM module (cvm.api.qcloud.com): RunInstances,
	// DescribeInstances, InquiryInstancePrice and RenewInstance.
	CVM Transport
	// Trade is the transport of the trade module (trade.api.qcloud.com): SetAutoRenew. nil
	// means CVM, for an endpoint that serves both modules (the simulator does).
	Trade Transport
}

// ErrResolved is what a Transport returns, without an Answer, for a call that its caller
// resolved by other means instead of another attempt: a decorator that lets the caller look
// before a resend (executor.WithRetry) returns it when the caller's hook found what became of
// the call. The typed methods of API then return their zero value and a nil error: the
// caller has the outcome from its hook.
var ErrResolved = errors.New("the call was resolved by its caller without another attempt")

// callErr is the error a typed method returns for the error of its Call: nil for
// ErrResolved (see there), else err as it is.
func callErr(err error) error {
	if errors.Is(err, ErrResolved) {
		return nil
	}
	return err
}

// errNoTransport is the error of an action whose module has no transport.
var errNoTransport = errors.New("no transport configured for the module of this action")

// noTransport answers every call with a parameter error: an API without a transport is a
// mistake of its maker, which must not read as an outcome of the API.
type noTransport struct{}

func (noTransport) Call(_ context.Context, action string, _ map[string]string) (Answer, error) {
	return nil, &Error{Action: action, Class: ClassParameter, Err: errNoTransport}
}

// cvm returns the transport of the CVM module.
func (a API) cvm() Transport {
	if a.CVM == nil {
		return noTransport{}
	}
	return a.CVM
}

// trade returns the transport of the trade module: Trade, or CVM when Trade is nil.
func (a API) trade() Transport {
	if a.Trade == nil {
		return a.cvm()
	}
	return a.Trade
}

// RunInstances is API{CVM: c}.RunInstances: one attempt, without decorators.
func (c *Client) RunInstances(ctx context.Context, params map[string]string) (RunResult, error) {
	return API{CVM: c}.RunInstances(ctx, params)
}

// DescribeInstances is API{CVM: c}.DescribeInstances: one attempt a page, without
// decorators.
func (c *Client) DescribeInstances(ctx context.Context, f DescribeFilter) ([]Instance, error) {
	return API{CVM: c}.DescribeInstances(ctx, f)
}

// InquiryInstancePrice is API{CVM: c}.InquiryInstancePrice: one attempt, without
// decorators.
func (c *Client) InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error) {
	return API{CVM: c}.InquiryInstancePrice(ctx, params)
}
