// Package diagview renders spec diagnostics (hcl.Diagnostics carrying a code, see spec.Code)
// for people and for machines.
//
// Three renderings of the same diagnostics are offered: Human (summary with its code, the
// location as FILE:LINE:COL, the source lines with a marker under the offending range, the
// detail wrapped, and a closing count), JSON (the `fleet validate --json` document, whose
// per-diagnostic type Diagnostic is reused by other JSON views) and GitHub (workflow-command
// annotations carrying the summary, the group and the detail, escaped by GitHub's rules,
// optionally limited per severity, with file names relative to the repository root; the
// ones left out by the limit are listed in Markdown by GitHubSummary).
//
// Invariants: output is deterministic (diagnostics are rendered in the order given, JSON keys
// in a fixed order); colour appears only when the caller asks for it; bad ranges or missing
// sources degrade the rendering but never panic; JSON arrays are `[]`, never `null`.
package diagview
