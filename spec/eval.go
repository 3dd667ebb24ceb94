package spec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// scope tells which references an expression may make.
type scope struct {
	each    bool   // each.key and each.value are defined: a group with for_each
	onlyVar string // set: only var.<onlyVar> may be used (a validation block)
	noRefs  string // set: no reference at all; says where the expression is ("a variable default")
	code    string // code of a forbidden reference; undefined-reference when empty
}

// refs checks every reference of expr. It returns the diagnostics of references to names
// that do not exist or may not be used here, and the diagnostics that made the variables and
// locals expr uses fail, so that a group built from a failed value carries the cause.
func (l *loader) refs(expr hcl.Expression, sc scope) (undef, failed hcl.Diagnostics, n int) {
	vars := expr.Variables()
	n = len(vars)
	for _, t := range vars {
		rng := t.SourceRange()
		root := t.RootName()
		if sc.noRefs != "" {
			code := sc.code
			if code == "" {
				code = codeUndefinedRef
			}
			undef = append(undef, newDiag(code, &rng, "Reference not allowed",
				fmt.Sprintf("%s must be a value written out, without references to %s. Replace the reference with the value itself.",
					upperFirst(sc.noRefs), root)))
			continue
		}
		name, hasName := traversalName(t)
		switch root {
		case "var":
			if !hasName {
				undef = append(undef, newDiag(codeUndefinedRef, &rng, "Incomplete variable reference",
					"A reference to a variable names it: write var.NAME."))
				continue
			}
			v := l.vars[name]
			if v == nil {
				undef = append(undef, newDiag(codeUndefinedRef, &rng, "Undefined variable",
					fmt.Sprintf("No variable named %q is declared.%s Declare it with a variable %q block or correct the name.",
						name, didYouMean(name, l.varNames), name)))
				continue
			}
			if sc.onlyVar != "" && name != sc.onlyVar {
				undef = append(undef, newDiag(codeUndefinedRef, &rng, "Reference to another variable",
					fmt.Sprintf("A validation condition of variable %q may refer only to var.%s. Check the other variable in its own validation block.",
						sc.onlyVar, sc.onlyVar)))
				continue
			}
			failed = append(failed, v.failed...)
		case "local":
			if sc.onlyVar != "" {
				undef = append(undef, newDiag(codeUndefinedRef, &rng, "Reference to a local value",
					fmt.Sprintf("A validation condition of variable %q may refer only to var.%s.", sc.onlyVar, sc.onlyVar)))
				continue
			}
			if !hasName {
				undef = append(undef, newDiag(codeUndefinedRef, &rng, "Incomplete local reference",
					"A reference to a local value names it: write local.NAME."))
				continue
			}
			lv := l.locals[name]
			if lv == nil {
				undef = append(undef, newDiag(codeUndefinedRef, &rng, "Undefined local value",
					fmt.Sprintf("No local value named %q is declared.%s Declare it in a locals block or correct the name.",
						name, didYouMean(name, l.localNames))))
				continue
			}
			failed = append(failed, lv.failed...)
		case "each":
			if !sc.each {
				undef = append(undef, newDiag(codeUndefinedRef, &rng, "each outside for_each",
					"each.key and each.value exist only inside a group block that sets for_each. Add for_each to the group or remove the reference."))
				continue
			}
			if !hasName || (name != "key" && name != "value") {
				undef = append(undef, newDiag(codeUndefinedRef, &rng, "Unknown each attribute",
					fmt.Sprintf("each has only the attributes key and value.%s Write each.key or each.value.",
						didYouMean(name, []string{"key", "value"}))))
			}
		default:
			hint := didYouMean(root, []string{"var", "local", "each"})
			if hint == "" && len(t) == 1 {
				hint = fmt.Sprintf(" To write the text %s, put it in quotes: \"%s\".", root, root)
			}
			undef = append(undef, newDiag(codeUndefinedRef, &rng, "Undefined reference",
				fmt.Sprintf("There is nothing named %q here; an expression may refer to var.NAME, local.NAME and, in a group with for_each, each.key and each.value.%s",
					root, hint)))
		}
	}
	return undef, failed, n
}

// traversalName returns the name after the root of a traversal: "x" in var.x or var["x"].
func traversalName(t hcl.Traversal) (string, bool) {
	if len(t) < 2 {
		return "", false
	}
	switch s := t[1].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

// eval checks the references of expr and evaluates it. errs are the diagnostics of expr
// itself; failed are those of the variables and locals it uses that failed. When either is
// not empty, or the value is not wholly known, the value must not be used.
func (l *loader) eval(expr hcl.Expression, ctx *hcl.EvalContext, sc scope) (v cty.Value, errs, failed hcl.Diagnostics) {
	v, errs, failed, _ = l.evalN(expr, ctx, sc)
	return v, errs, failed
}

// evalN is eval that also returns the number of references expr makes.
func (l *loader) evalN(expr hcl.Expression, ctx *hcl.EvalContext, sc scope) (v cty.Value, errs, failed hcl.Diagnostics, nrefs int) {
	if v, ok := literal(expr); ok {
		return v, nil, nil, 0
	}
	undef, failed, nrefs := l.refs(expr, sc)
	if len(undef) > 0 {
		return cty.DynamicVal, undef, failed, nrefs
	}
	v, ds := expr.Value(ctx)
	for _, d := range ds {
		code := sc.code
		if fe, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallUnknownDiagExtra](d); ok {
			code = codeUndefinedRef
			name := fe.CalledFunctionName()
			// hcl's own suggestion depends on map order; make ours stable.
			d.Detail = fmt.Sprintf("There is no function named %q.%s Correct the name; the spec language has the functions of the cty standard library, such as format, join, lookup and merge.",
				name, didYouMean(name, functionNames))
		} else if d.Summary == summaryUnknownFunc {
			code = codeUndefinedRef
		} else if code == "" {
			code = codeType
		}
		d.Expression, d.EvalContext = nil, nil
		errs = append(errs, WithCode(code, d))
	}
	if errs.HasErrors() {
		v = cty.DynamicVal
	}
	return v, errs, failed, nrefs
}

// literal returns the value of an expression that is a literal of the native syntax: most
// attributes of a spec are, and they need no walk and no evaluation.
func literal(expr hcl.Expression) (cty.Value, bool) {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return e.Val, true
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) == 1 {
			if lit, ok := e.Parts[0].(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String {
				return lit.Val, true
			}
		}
	}
	return cty.NilVal, false
}
