// Package planview renders a purchase plan (*planner.Plan) in the four forms fleet offers:
// Human for a terminal or a log, JSON (the `fleet plan --json` document), Markdown for a
// pull-request comment or a GitHub job summary, and GitHub workflow-command annotations.
//
// Invariants: every rendering is a pure function of the plan (and, for Human, the spec
// sources): no clock, no environment, deterministic order. Diagnostics are rendered by
// diagview. JSON arrays and objects are `[]` and `{}`, never `null`, except summary.price_fen,
// which is null when no price was asked for; a group's config is absent when the plan does not
// know it. Markdown never exceeds MarkdownLimit bytes, whatever the size of the fleet: it
// drops details, then rows, and says so. Secrets never appear: the plan holds them only as
// hashes.
package planview
