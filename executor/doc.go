// Package executor applies a purchase plan through a small Client interface, writing ahead to
// the state's journal.
//
// Invariants:
//   - A call is journaled as pending, with its client token and its exact (masked) parameters,
//     and that record is durable before the call is sent. Records of calls started together
//     are committed together.
//   - The answer of a call is journaled as soon as it arrives: done (with deal and instance
//     ids, however many came back), failed (a definitive refusal of the API: parameters,
//     credentials, balance or quota), or still pending with the last error when the outcome
//     is unknown. A pending call is resolved by a later apply with the same token and the same
//     parameters, so nothing is ever bought twice and nothing bought is forgotten.
//   - Resumed calls are resolved before any new call is sent.
//   - A resumed call whose instance name carries its marker (planner.Plan.CallMarker) is
//     looked up by that marker with DescribeInstances before it is sent again, because the API
//     may have forgotten its client token: instances that really carry the marker are adopted
//     (the batch is recorded done with them, Batch.Adopted) and nothing is sent; only when
//     none is found is the call sent with its recorded token. A failed lookup leaves the call
//     pending and unsent.
//   - Every call's pending record carries its marker (Batch.Marker) with its token.
//   - An empty state is no licence to buy: before a plan buys for a group the state does not
//     know, CheckEmptyState looks the whole fleet up by its tag (FindFleet) and reports the
//     instances of the fleet the state does not record; RecoverRecords turns them into
//     records that adopt them.
//   - Groups fail independently.
//   - No secret reaches the journal, the state, an event, an outcome or the log of attempts:
//     the text of every error of a call is masked with secret.Mask and the call's secret
//     values, in any encoding an answer may echo them in, and keeps its class.
//   - Cancelling the context passed to Apply starts nothing new and stops retries. A call
//     already journaled is let to finish (and its answer journaled) when the transport is
//     wrapped with Detach, as `fleet apply` does: WithRetry(Detach(WithRateLimit(t, rate))).
//
// The executor's functions take the narrow interfaces of client.go (Lister, Buyer, Pricer,
// Renewer), which cvm.API satisfies. Retries, the rate limit, the log of attempts and
// detaching from cancellation are decorators of the one seam below it, cvm.Transport
// (WithRetry, WithRateLimit or WithLimiter, WithLog, Detach; the log goes innermost, so that
// it sees every attempt), each written once for every action: cvm.API{CVM:
// WithRetry(Detach(WithLimiter(WithLog(t, log), l)), policy)}. The executor itself sends
// each call once through whatever it is given, and looks before a resend through a hook
// the retries ask (see WithRetry).
package executor
