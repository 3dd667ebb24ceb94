// Package spec turns the HCL files of a fleet into a Fleet model.
//
// It parses bytes handed to it by the caller (it reads no files and no environment), evaluates
// variables, locals, defaults and for_each, applies the rules of the RunInstances document and
// reports every problem as an hcl.Diagnostic carrying a code (see Code), a summary, a detail
// that says what to do, and the range of the offending expression. Every problem of every file
// is reported in one run.
package spec
