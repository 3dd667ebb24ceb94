package planview

import (
	"io"

	"fleet/internal/diagview"
	"fleet/planner"
)

// GitHubAnnotationLimit is the most annotations of one severity GitHub writes; GitHub
// itself shows only ten of each per step.
const GitHubAnnotationLimit = 10

// GitHub writes one workflow-command annotation per diagnostic of the plan, at most
// GitHubAnnotationLimit per severity, and a notice counting the ones left out. The caller
// adds the Markdown rendering to the job summary.
func GitHub(w io.Writer, p *planner.Plan) error {
	if p == nil {
		return errNoPlan
	}
	return diagview.GitHub(w, p.Diagnostics, GitHubAnnotationLimit)
}
