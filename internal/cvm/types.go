package cvm

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// RunResult is the answer to a successful RunInstances call.
type RunResult struct {
	DealIDs     []string
	InstanceIDs map[string][]string // deal id -> instance ids; key "" when the API sent a plain array
}

// AllInstanceIDs returns every instance id of the answer, in deal order, then by position.
func (r RunResult) AllInstanceIDs() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range r.DealIDs {
		for _, id := range r.InstanceIDs[d] {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	for _, d := range slices.Sorted(maps.Keys(r.InstanceIDs)) {
		for _, id := range r.InstanceIDs[d] {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// Instance is one element of DescribeInstances' instanceSet.
type Instance struct {
	ID         string // unInstanceId, "ins-xxxxxxxx"
	Name       string
	Status     int
	ZoneID     int
	ProjectID  int
	CPU        int
	Mem        int
	LanIP      string
	ImageID    string
	CreateTime string

	PrivateIPs []string // lanIp first, then privateIpAddresses; nil when none
	PublicIPs  []string // wanIpSet, EIPs included; nil when none

	// Deadline is deadlineTime, the expiry, read as Beijing time when it carries no offset;
	// nil when the answer has none, when it is the postpaid placeholder 0000-00-00 00:00:00,
	// or when it could not be read. DeadlineText is the text as sent.
	Deadline     *time.Time
	DeadlineText string
	// AutoRenew is the autoRenew flag (0 notify, 1 auto-renew, 2 will not renew); nil when
	// the answer has none or one that could not be read.
	AutoRenew *int
	// Notes says, one sentence each, what of the answer could not be read and was left
	// unknown rather than guessed: a deadline or renew flag in an unexpected form.
	Notes []string
}

// DescribeFilter selects instances for DescribeInstances. The client walks every page.
type DescribeFilter struct {
	InstanceIDs []string
	SearchWord  string
	ProjectID   *int
	ZoneID      int
}

// Class tells a caller what it may do after an error, without reading strings.
type Class int

const (
	ClassUnknown   Class = iota // not understood: the outcome of the call is unknown
	ClassRetryable              // network error, timeout, HTTP 5xx, busy, code 6000, rate limit
	ClassAuth                   // credentials or permission (41xx, 4300)
	ClassParameter              // a parameter the API refused (4000, InvalidParameter.*; see the package doc)
	ClassBalance                // not enough balance (5300, AccountBalanceNotEnough)
	ClassQuota                  // quota or stock (5200, LimitExceeded, names that speak of a quota)
	ClassClock                  // a timestamp outside the API's window or a replayed nonce (4500): refused, nothing bought
	ClassState                  // the instance cannot take this operation: it does not exist (5000) or its status refuses it
)

func (c Class) String() string {
	switch c {
	case ClassRetryable:
		return "retryable"
	case ClassAuth:
		return "auth"
	case ClassParameter:
		return "parameter"
	case ClassBalance:
		return "balance"
	case ClassQuota:
		return "quota"
	case ClassClock:
		return "clock"
	case ClassState:
		return "state"
	}
	return "unknown"
}

// Error is every error the client returns: an answer of the API with a non-zero code, or a
// transport failure (Err set, Code 0).
type Error struct {
	Action     string
	Code       int    // the API's numeric code; 0 for transport errors
	Name       string // codeDesc, e.g. "OperationFail.SystemBusy"
	Message    string
	HTTPStatus int
	Class      Class
	Err        error // the transport error, if any
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Action, e.Err)
	case e.Name != "":
		return fmt.Sprintf("%s: %s (code %d): %s", e.Action, e.Name, e.Code, e.Message)
	case e.HTTPStatus != 0 && e.Code == 0:
		return fmt.Sprintf("%s: HTTP %d: %s", e.Action, e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("%s: code %d: %s", e.Action, e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the class of err: the Class of a wrapped *Error, else ClassUnknown.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassUnknown
}
