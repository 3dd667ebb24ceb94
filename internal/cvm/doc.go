// Package cvm is a client of the legacy CVM API (cvm.api.qcloud.com/v2/index.php, no Version):
// request signing (HmacSHA256 and HmacSHA1), RunInstances, DescribeInstances and
// InquiryInstancePrice, tolerant parsing of answers, and typed errors with a Class a caller can
// act on. Each method makes one attempt with a fresh Nonce and Timestamp; retries and rate
// limits are layered on top by the caller.
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
//     ClassBalance, ClassQuota). An error answer that names deals or instances, a success that
//     names no instance at all, and InvalidParameter.IdempotentParameterMismatch
//     (the token bought before) have ClassUnknown: read otherwise, they would have the caller
//     buy again what the call may have bought. A success that names some but fewer
//     instances than goodsNum is returned as it is: the caller records what came and
//     plans the rest as a new call.
package cvm
