// Package spec turns the HCL files of a fleet into a Fleet model.
//
// It parses bytes handed to it by the caller (it reads no files and no environment), evaluates
// variables, locals, defaults and for_each, applies the rules of the RunInstances document and
// reports every problem as an hcl.Diagnostic carrying a code (see Code), a summary, a detail
// that says what to do, and the range of the offending expression. Every problem of every file
// is reported in one run.
//
// Invariants of Load:
//   - It is a pure function of its arguments: the same files and inputs give the same fleet
//     and the same diagnostics in the same order, whatever the order in which the files were
//     parsed in parallel.
//   - Its peak memory does not grow with the syntax trees of all files: group blocks are
//     parsed after everything they may depend on (fleet block, variables, locals, defaults),
//     in pieces of whole blocks of some tens of kilobytes, at most GOMAXPROCS pieces at a
//     time, each evaluated as soon as it is parsed and its tree then dropped. The result is
//     the same as parsing every file whole first, which Load falls back to when a file's text
//     cannot be cut that way or a piece does not parse.
//   - It never panics and always returns a Fleet. Input that would make a parser recurse too
//     deeply, or that is not UTF-8 text, is refused with a syntax diagnostic before parsing.
//   - A group is purchasable (Group.Valid) only if nothing it is made of has an error: its own
//     attributes, the defaults it uses, and the variables and locals these refer to.
//   - No diagnostic and no field other than Config.Password holds a secret: the values of
//     sensitive variables and every password are masked in diagnostic texts, and variables
//     are recorded in Fleet.Vars only by hash.
package spec
