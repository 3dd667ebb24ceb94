package spec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// local is a local value.
type local struct {
	name   string
	attr   *hcl.Attribute
	deps   []string // names of the locals it refers to, known ones only
	val    cty.Value
	failed hcl.Diagnostics
}

// evalLocals evaluates the locals in dependency order. Locals on a reference loop are
// reported once per loop and get no value; so do the locals that depend on them.
func (l *loader) evalLocals() {
	l.locals = map[string]*local{}
	vars := make(map[string]cty.Value, len(l.vars))
	for name, v := range l.vars {
		vars[name] = v.val
	}
	l.varObj = cty.ObjectVal(vars)
	var order []*local
	for _, a := range l.localAttrs {
		if prev := l.locals[a.Name]; prev != nil {
			l.diags = append(l.diags, newDiag(codeDuplicateDecl, rangePtr(a.NameRange), "Duplicate local value",
				fmt.Sprintf("Local value %q is already declared at %s. Remove one of the two or rename it.", a.Name, where(prev.attr.NameRange))))
			continue
		}
		lv := &local{name: a.Name, attr: a, val: cty.DynamicVal}
		l.locals[a.Name] = lv
		order = append(order, lv)
	}
	for name := range l.locals {
		l.localNames = append(l.localNames, name)
	}
	sort.Strings(l.localNames)

	// Kahn's algorithm over the local -> local references, without recursion, so that a long
	// chain of locals cannot exhaust the stack.
	users := map[string][]*local{}
	pending := map[*local]int{}
	for _, lv := range order {
		seen := map[string]bool{}
		for _, t := range lv.attr.Expr.Variables() {
			if t.RootName() != "local" {
				continue
			}
			name, ok := traversalName(t)
			if !ok || l.locals[name] == nil || seen[name] {
				continue
			}
			seen[name] = true
			lv.deps = append(lv.deps, name)
			users[name] = append(users[name], lv)
		}
		pending[lv] = len(lv.deps)
	}
	var ready []*local
	for _, lv := range order {
		if pending[lv] == 0 {
			ready = append(ready, lv)
		}
	}
	done := map[*local]bool{}
	for len(ready) > 0 {
		lv := ready[0]
		ready = ready[1:]
		l.evalLocal(lv)
		done[lv] = true
		for _, u := range users[lv.name] {
			pending[u]--
			if pending[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(done) == len(order) {
		return
	}
	l.reportCycles(order, done)
}

// evalLocal evaluates one local whose dependencies all have their values.
func (l *loader) evalLocal(lv *local) {
	deps := make(map[string]cty.Value, len(lv.deps))
	for _, name := range lv.deps {
		deps[name] = l.locals[name].val
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": l.varObj, "local": cty.ObjectVal(deps)},
		Functions: functions,
	}
	v, errs, failed := l.eval(lv.attr.Expr, ctx, scope{})
	l.diags = append(l.diags, errs...)
	lv.failed = append(append(lv.failed, failed...), errs...)
	if len(lv.failed) > 0 {
		v = cty.DynamicVal
	}
	lv.val = v
}

// reportCycles reports each reference loop among the locals that could not be evaluated.
// The others depend on a loop; they take the loop's diagnostic as their cause.
func (l *loader) reportCycles(order []*local, done map[*local]bool) {
	cause := map[*local]*hcl.Diagnostic{}
	for _, start := range order {
		if done[start] || cause[start] != nil {
			continue
		}
		// Walk undone dependencies until a local repeats: the walk from there is a loop.
		pos := map[*local]int{}
		var path []*local
		cur := start
		for cur != nil && cause[cur] == nil {
			if i, ok := pos[cur]; ok {
				loop := path[i:]
				names := make([]string, 0, len(loop)+1)
				first := loop[0]
				for _, lv := range loop {
					names = append(names, "local."+lv.name)
					if lessRange(lv.attr.NameRange, first.attr.NameRange) {
						first = lv
					}
				}
				names = append(names, "local."+loop[0].name)
				d := newDiag(codeReferenceCycle, rangePtr(first.attr.Expr.Range()), "Reference loop in locals",
					fmt.Sprintf("These local values refer to each other in a loop, so none of them has a value: %s. Break the loop by writing one of them without the others.",
						strings.Join(names, " -> ")))
				l.diags = append(l.diags, d)
				for _, lv := range loop {
					cause[lv] = d
				}
				break
			}
			pos[cur] = len(path)
			path = append(path, cur)
			var next *local
			for _, name := range cur.deps {
				if dep := l.locals[name]; !done[dep] {
					next = dep
					break
				}
			}
			cur = next
		}
	}
	// Everything else that is not done depends, directly or not, on a loop.
	for _, lv := range order {
		if done[lv] {
			continue
		}
		if d := cause[lv]; d != nil {
			lv.failed = hcl.Diagnostics{d}
		} else {
			lv.failed = l.loopCause(lv, cause, done)
		}
		lv.val = cty.DynamicVal
	}
}

// loopCause finds the loop diagnostic that a local depends on.
func (l *loader) loopCause(lv *local, cause map[*local]*hcl.Diagnostic, done map[*local]bool) hcl.Diagnostics {
	seen := map[*local]bool{lv: true}
	queue := []*local{lv}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if d := cause[cur]; d != nil {
			return hcl.Diagnostics{d}
		}
		for _, name := range cur.deps {
			if dep := l.locals[name]; !done[dep] && !seen[dep] {
				seen[dep] = true
				queue = append(queue, dep)
			}
		}
	}
	return nil
}

func lessRange(a, b hcl.Range) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	return a.Start.Byte < b.Start.Byte
}
