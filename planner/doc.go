// Package planner computes what an apply must do: a pure function of the evaluated spec and
// the state. It performs no I/O and reads no clock, so the same spec and state always give the
// same plan and the same client tokens. It also encodes and decodes saved plan files.
package planner
