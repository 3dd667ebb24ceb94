// Package cvm is a client of the legacy CVM API (cvm.api.qcloud.com/v2/index.php, no Version)
// and of its trade module (trade.api.qcloud.com): request signing (HmacSHA256 and HmacSHA1),
// tolerant parsing of answers, and typed errors with a Class a caller can act on.
//
// It has two layers. A Transport sends one attempt of any action and returns the members of
// its answer; *Client is the Transport of one endpoint, each Call signed with a fresh Nonce
// and Timestamp. API is the typed layer over transports, one method per action, each built
// on Call alone: RunInstances, DescribeInstances (one Call a page), InquiryInstancePrice,
// RenewalPrice (its renewal variant), RenewInstance, and the trade module's SetAutoRenew.
// Retries, rate limits, logs and detaching from cancellation are layered on top by the
// caller, once, as decorators of a Transport (package executor): a new action is one method
// of API, and they apply to it unchanged.
//
// Invariants:
//   - Every request is a POST with an application/x-www-form-urlencoded body in which every
//     value is URL-encoded, signed over "POST" + host without port + path + "?" + the sorted
//     raw parameters (StringToSign, Sign). Version is never sent: it selects another API.
//   - Every attempt carries a new crypto-random Nonce and the Timestamp of the injected clock.
//   - Requests carry instance passwords, so plain http is refused except to a loopback host,
//     redirects are never followed, and no request parameter appears in an error. An answer
//     that echoes a secret parameter, as sent or re-encoded, reaches no error either: every
//     error text of a call is masked with secret.Mask and the call's secret values, and a
//     *Error keeps its Class (MaskError).
//   - Every error a method returns is a *Error with a Class; no answer, however malformed,
//     makes the client panic. An answer that cannot be understood has ClassUnknown and wraps
//     ErrMalformedAnswer, because the call may have taken effect. A transport failure (the
//     request may or may not have arrived) has ClassRetryable: a retry with the same
//     clientToken is how the caller finds out.
//   - Only an answer that shows nothing was bought is a refusal (ClassParameter, ClassAuth,
//     ClassBalance, ClassQuota, ClassState). An error answer that names deals or instances, a
//     success that names no instance at all, and InvalidParameter.IdempotentParameterMismatch
//     (the token bought before) have ClassUnknown: read otherwise, they would have the caller
//     buy again what the call may have bought. A success that names some but fewer
//     instances than goodsNum is returned as it is: the caller records what came and
//     plans the rest as a new call.
//
// # Taken effect or not
//
// A retryable error is not always one after which nothing happened. Refused reports the
// errors that show the attempt took no effect: an answer of the API with an error code
// (busy, a rate limit, a replayed nonce or a timestamp outside the window, any refusal),
// or a refusal of the client before sending. A transport error after the request may have
// been sent, a timeout, an answer of HTTP 5xx, an internal error of the API (InternalError,
// code 6000 without a name) and an answer that cannot be read may hide an effect.
// RunInstances with a clientToken, the reads and SetAutoRenew (setting a flag twice sets it
// once) may be sent again after any of them (Idempotent); RenewInstance takes no client
// token, so an attempt of it that may have taken effect must not be sent again before its
// caller has read the instance's deadline: a resend could renew twice.
//
// # Renewals and flags
//
// RenewalPrice and RenewInstance take an instance id and a period of 1 to 36 months;
// SetAutoRenew takes 1 to 100 ids and a flag (AutoRenewNotify, AutoRenewOn, AutoRenewNever).
// What the API would refuse of them is refused before anything is sent, with ClassParameter.
// A balance that does not cover a renewal is ClassBalance; an instance that does not exist
// (5000, InvalidParameter.ResourceNotFound) or whose status refuses the operation
// (OperationConstraints.InvaildInstanceStatus, NotSupport.SharedInstance) is ClassState; other
// NotSupport.* names are ClassParameter; OperationFail.SystemBusy is ClassRetryable.
// SetAutoRenew answers in the batch format: code 0, 5100 (all failed) or 5400 (some failed)
// with one result per instance in detail. An answer with detail is no error of the call: the
// result of each instance is in SetAutoRenewResult, an instance the detail omits failed with
// ClassUnknown. Call returns the members of an error answer with its *Error for this reason.
package cvm
