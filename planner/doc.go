// Package planner computes what an apply must do: a pure function of the evaluated spec and
// the state. It performs no I/O and reads no clock, so the same spec and state always give the
// same plan and the same client tokens. It also encodes and decodes saved plan files.
//
// Invariants:
//   - Compute never depends on map order or randomness; groups are sorted by name.
//   - A call holds 1 to MaxGoodsPerCall instances; a group with private IPs gets one call per
//     address not yet in use.
//   - A pending batch is always resumed with its recorded seq, token and parameters, never
//     with new ones; new calls take seqs above every recorded one, so a failed batch's seq
//     (and token) is never reused.
//   - A client token is a pure function of fleet, region, project, group, seq and the call's
//     parameters (secrets masked): at most 64 characters of [a-z0-9-].
//   - Every new call names its instances after the group's instance_name followed by the
//     call's marker (Marker, MarkName), within 60 characters; the marker is a pure function of
//     the call, is part of its parameters and so of its token, and is no configuration change.
//     It starts with the fleet's tag (FleetTag), common to every instance of the fleet, so
//     that one search (FleetSearchWord) lists the whole fleet. A call carries its marker
//     (Call.Marker), apply records it with the batch, and a resumed call takes the recorded
//     one, so that renaming a group never changes it.
//   - No secret reaches a plan, a config diff or a plan file: parameters named in
//     secret.Params appear only as secret.Hash of their value, and variable values
//     only by hash.
//   - A plan file is only written for an applyable plan, and is rejected when truncated,
//     altered (checksum) or of a newer format.
package planner
