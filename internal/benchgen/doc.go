// Command benchgen writes a large fleet and a state in which all of it is already bought, for
// measuring `fleet plan` on the CI steady state.
//
// Usage:
//
//	go run ./internal/benchgen -groups 20000 -per 10 -mode full -out DIR
//
// It writes DIR/main.fleet.hcl, DIR/groups-NNNN.fleet.hcl (1,000 groups a file) and
// DIR/fleet.state.json. With -mode full every group writes every attribute; with -mode count
// the groups set only count and take the rest from a defaults block. The state is made by
// planning the spec against an empty state and recording every call as bought, so a plan of
// the generated directory has no calls.
package main
