package cvm

import (
	"errors"
	"strings"
)

// Refused reports whether err shows that the attempt took no effect: the API answered, over
// HTTP below 500, with an error code or name that is not an internal error (busy, a rate
// limit, a replayed nonce or a timestamp outside the window, a refusal of a parameter, the
// credentials, the balance, a quota or the instance's state), or the client refused to send
// it (ClassParameter without an answer).
//
// A transport error (the request may have arrived), an answer that could not be read or
// contradicts itself, an answer of HTTP 5xx and an internal error of the API (a name
// InternalError..., or code 6000 without a name) may hide an effect: Refused is false for
// them, as for any error that is not a *Error. An attempt that is not Idempotent is sent
// again only after an error Refused reports; after any other, the caller finds out what
// became of it first.
func Refused(err error) bool {
	var e *Error
	if !errors.As(err, &e) || errors.Is(err, ErrMalformedAnswer) {
		return false
	}
	if e.Name == "" && e.Code == 0 {
		// No answer of the API: only the client's own refusal shows that nothing was sent.
		return e.HTTPStatus == 0 && e.Class == ClassParameter
	}
	if e.HTTPStatus >= 500 || strings.HasPrefix(e.Name, "InternalError") {
		return false
	}
	return e.Name != "" || e.Code != 6000
}

// Idempotent reports whether an attempt of action with params may be sent again whatever
// became of the attempt before: DescribeInstances and InquiryInstancePrice read,
// SetAutoRenew sets a flag (set twice, it is set once), and RunInstances with a clientToken
// is answered with the first purchase of the token. RenewInstance is not idempotent: it
// takes no client token, and a renewal sent twice renews twice. Nor is RunInstances without
// a clientToken, nor any action this package does not know.
func Idempotent(action string, params map[string]string) bool {
	switch action {
	case "DescribeInstances", "InquiryInstancePrice", "SetAutoRenew":
		return true
	case "RunInstances":
		return params["clientToken"] != ""
	}
	return false
}
