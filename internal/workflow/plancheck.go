package workflow

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"fleet/executor"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// CodeStateMissing is the diagnostic of a plan that would buy for groups the state does not
// know while instances of the fleet exist that it does not record.
const CodeStateMissing = "state-missing"

// CheckState makes for a plan the check apply makes before it buys for groups the state does
// not know (see guard), and returns it as diagnostics: the error state-missing when
// unrecorded instances of the fleet exist, a warning when the check could not be made (c is
// nil when there are no credentials, or the lookup failed). It returns nothing when the plan
// buys only for groups the state knows.
func CheckState(ctx context.Context, c executor.Lister, p *planner.Plan, st *state.State) hcl.Diagnostics {
	fresh := executor.NewGroups(p, st)
	if len(fresh) == 0 || !p.Applyable() {
		return nil
	}
	if c == nil {
		return hcl.Diagnostics{spec.WithCode(CodeStateMissing, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Unrecorded instances not checked",
			Detail: fmt.Sprintf("The plan buys for %s, which the state does not know, and without credentials fleet could not check whether instances of the fleet exist that the state does not record (a lost state). apply makes this check before it buys.",
				quoteList(fresh)),
		})}
	}
	r, err := executor.CheckEmptyState(ctx, c, p, st)
	if err != nil {
		return hcl.Diagnostics{spec.WithCode(CodeStateMissing, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Unrecorded instances not checked",
			Detail:   fmt.Sprintf("%v. apply makes this check before it buys, and buys nothing while it cannot.", err),
		})}
	}
	if r.Err() == nil {
		return nil
	}
	return hcl.Diagnostics{spec.WithCode(CodeStateMissing, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Instances of the fleet exist that the state does not record",
		Detail:   r.Message(),
	})}
}

// quoteList returns "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
