package spec

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"fleet/internal/secret"
)

var variableSchema = &bodySchema{
	what:   "a variable block",
	attrs:  []string{"type", "default", "description", "sensitive"},
	blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &bodySchema{what: "a validation block", attrs: []string{"condition", "error_message"}}

// minSecretLen is the shortest sensitive text that is masked in diagnostics; masking shorter
// strings would garble messages without hiding anything worth hiding.
const minSecretLen = 6

// variable is a declared variable and its value.
type variable struct {
	name        string
	block       *hcl.Block
	typ         cty.Type // cty.DynamicPseudoType when no type is given
	sensitive   bool
	def         *hcl.Attribute
	validations []validation
	val         cty.Value
	src         *hcl.Range      // where the value was written; nil for --var and the environment
	failed      hcl.Diagnostics // why the variable has no usable value
	given       cty.Value       // the value as given, kept to mask it when sensitive
}

type validation struct {
	block              *hcl.Block
	cond, errorMessage *hcl.Attribute
}

// fileValue is a value from a variable file.
type fileValue struct {
	val  cty.Value
	rng  hcl.Range
	errs hcl.Diagnostics
}

// variables declares the variables and gives each its value.
func (l *loader) variables() {
	l.vars = map[string]*variable{}
	for _, b := range l.varBlocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			l.diags = append(l.diags, newDiag(codeSyntax, rangePtr(labelRange(b)), "Invalid variable name",
				fmt.Sprintf("A variable name starts with a letter and holds letters, digits, \"_\" and \"-\"; %q is not one. Rename the variable.", name)))
			continue
		}
		if prev := l.vars[name]; prev != nil {
			l.diags = append(l.diags, newDiag(codeDuplicateDecl, rangePtr(labelRange(b)), "Duplicate variable",
				fmt.Sprintf("Variable %q is already declared at %s. Remove one of the two or rename it.", name, where(prev.block.DefRange))))
			continue
		}
		l.vars[name] = l.declare(b)
	}
	for name := range l.vars {
		l.varNames = append(l.varNames, name)
	}
	sort.Strings(l.varNames)

	fileVals := l.varFileValues()
	for _, name := range l.varNames {
		l.assign(l.vars[name], fileVals)
	}
	var undeclared []string
	for name := range l.in.Vars {
		if l.vars[name] == nil {
			undeclared = append(undeclared, name)
		}
	}
	sort.Strings(undeclared)
	for _, name := range undeclared {
		l.diags = append(l.diags, newDiag(codeVariableValue, nil, "Value for undeclared variable",
			fmt.Sprintf("A value was given with --var for %q, but the spec declares no variable of that name.%s Declare it with a variable block or correct the name.",
				name, didYouMean(name, l.varNames))))
	}
	for _, name := range l.varNames {
		v := l.vars[name]
		l.fleet.Vars = append(l.fleet.Vars, VarValue{Name: name, Sensitive: v.sensitive, Hash: hashValue(v.val)})
	}
}

// declare reads a variable block.
func (l *loader) declare(b *hcl.Block) *variable {
	v := &variable{name: b.Labels[0], block: b, typ: cty.DynamicPseudoType}
	attrs, blocks, diags := content(b.Body, variableSchema)
	l.diags = append(l.diags, diags...)
	if a := attrs["type"]; a != nil {
		ty, ds := typeexpr.TypeConstraint(a.Expr)
		if ds.HasErrors() {
			r := a.Expr.Range()
			d := newDiag(codeType, &r, "Invalid type", fmt.Sprintf(
				"The type of variable %q is not a type the spec language knows. Use string, number, bool, list(TYPE), set(TYPE), map(TYPE), object({...}), tuple([...]) or any.", v.name))
			l.diags = append(l.diags, d)
			v.failed = append(v.failed, d)
		} else {
			v.typ = ty
		}
	}
	if a := attrs["sensitive"]; a != nil {
		val, errs, _ := l.eval(a.Expr, nil, scope{noRefs: "sensitive"})
		l.diags = append(l.diags, errs...)
		if len(errs) == 0 {
			if bv, err := convert.Convert(val, cty.Bool); err != nil || bv.IsNull() || !bv.IsKnown() {
				r := a.Expr.Range()
				l.diags = append(l.diags, newDiag(codeType, &r, "Wrong type for sensitive",
					"sensitive is true or false. Write sensitive = true to keep the value out of every output."))
				v.sensitive = true // err on the side of hiding
			} else {
				v.sensitive = bv.True()
			}
		}
	}
	if a := attrs["description"]; a != nil {
		val, errs, _ := l.eval(a.Expr, nil, scope{noRefs: "a description"})
		l.diags = append(l.diags, errs...)
		if len(errs) == 0 {
			if _, err := convert.Convert(val, cty.String); err != nil {
				r := a.Expr.Range()
				l.diags = append(l.diags, newDiag(codeType, &r, "Wrong type for description",
					"A description is text. Write it in quotes."))
			}
		}
	}
	v.def = attrs["default"]
	for _, vb := range blocks {
		vattrs, _, ds := content(vb.Body, validationSchema)
		l.diags = append(l.diags, ds...)
		val := validation{block: vb, cond: vattrs["condition"], errorMessage: vattrs["error_message"]}
		for _, name := range []string{"condition", "error_message"} {
			if vattrs[name] == nil {
				d := newDiag(codeMissingAttr, rangePtr(vb.DefRange), "Missing "+name,
					fmt.Sprintf("A validation block needs both condition and error_message; this one has no %s. Add it.", name))
				l.diags = append(l.diags, d)
				v.failed = append(v.failed, d)
			}
		}
		v.validations = append(v.validations, val)
	}
	return v
}

// varFileValues reads the variable files; a later file's value wins.
func (l *loader) varFileValues() map[string]fileValue {
	out := map[string]fileValue{}
	for _, f := range l.in.VarFiles {
		// Parsed as spec files are, so that a broken or hostile file gets the same guards.
		pf := parseFile(f)
		l.diags = append(l.diags, pf.diags...)
		if pf.body == nil {
			continue
		}
		attrs, ds := justAttributes(pf.body, "a variable file")
		l.diags = append(l.diags, ds...)
		for _, a := range sortedAttrs(attrs) {
			if l.vars[a.Name] == nil {
				d := newDiag(codeVariableValue, rangePtr(a.NameRange), "Value for undeclared variable",
					fmt.Sprintf("The spec declares no variable %q, so this value is not used.%s Declare the variable or remove the value.",
						a.Name, didYouMean(a.Name, l.varNames)))
				d.Severity = hcl.DiagWarning
				l.diags = append(l.diags, d)
				continue
			}
			val, errs, _ := l.eval(a.Expr, nil, scope{noRefs: "a value in a variable file", code: codeVariableValue})
			l.diags = append(l.diags, errs...)
			out[a.Name] = fileValue{val: val, rng: a.Expr.Range(), errs: errs}
		}
	}
	return out
}

// assign gives v its value: --var over variable files over the environment over the default.
func (l *loader) assign(v *variable, fileVals map[string]fileValue) {
	v.val = cty.UnknownVal(v.typ)
	if len(v.failed) > 0 {
		return
	}
	var val cty.Value
	var from string
	if raw, ok := l.in.Vars[v.name]; ok {
		from = "given with --var"
		var d *hcl.Diagnostic
		if val, d = l.parseRaw(v, raw, from); d != nil {
			l.fail(v, d)
			return
		}
	} else if fv, ok := fileVals[v.name]; ok {
		from = "in the variable file " + fv.rng.Filename
		if len(fv.errs) > 0 {
			v.failed = fv.errs
			return
		}
		val, v.src = fv.val, rangePtr(fv.rng)
	} else if raw, ok := l.in.Env[v.name]; ok {
		from = "in FLEET_VAR_" + v.name
		var d *hcl.Diagnostic
		if val, d = l.parseRaw(v, raw, from); d != nil {
			l.fail(v, d)
			return
		}
	} else if v.def != nil {
		from = "as its default"
		var errs hcl.Diagnostics
		val, errs, _ = l.eval(v.def.Expr, &hcl.EvalContext{Functions: functions}, scope{noRefs: "a variable's default", code: codeVariableValue})
		if len(errs) > 0 {
			l.diags = append(l.diags, errs...)
			v.failed = errs
			return
		}
		v.src = rangePtr(v.def.Expr.Range())
	} else {
		l.fail(v, newDiag(codeVariableValue, rangePtr(v.block.DefRange), "No value for variable",
			fmt.Sprintf("Variable %q has no default and no value was given. Give it one with --var %s=VALUE, in a --var-file, or with the environment variable FLEET_VAR_%s; or add a default.",
				v.name, v.name, v.name)))
		return
	}
	if v.typ != cty.DynamicPseudoType {
		cv, err := convert.Convert(val, v.typ)
		if err != nil {
			l.fail(v, newDiag(codeVariableValue, v.src, "Wrong type for variable",
				fmt.Sprintf("The value of var.%s %s has type %s, but the variable's type is %s (%s). Give a value of type %s, for example %s.",
					v.name, from, val.Type().FriendlyName(), typeexpr.TypeString(v.typ), err, typeexpr.TypeString(v.typ), example(v.typ))))
			return
		}
		val = cv
	}
	if !val.IsWhollyKnown() {
		return
	}
	v.val, v.given = val, val
	l.validate(v)
}

// fail records d as the reason v has no value.
func (l *loader) fail(v *variable, d *hcl.Diagnostic) {
	l.diags = append(l.diags, d)
	v.failed = append(v.failed, d)
	v.val = cty.UnknownVal(v.typ)
}

// parseRaw interprets the raw text of --var or FLEET_VAR_<name>: the text itself for a
// string (or untyped) variable, an HCL expression otherwise, as Terraform does. The text is
// never repeated in a message, since it may be a secret.
func (l *loader) parseRaw(v *variable, raw, from string) (cty.Value, *hcl.Diagnostic) {
	if v.typ == cty.DynamicPseudoType || v.typ == cty.String {
		return cty.StringVal(raw), nil
	}
	bad := newDiag(codeVariableValue, nil, "Invalid value for variable",
		fmt.Sprintf("The value of var.%s %s is not a valid value of type %s. Write it in HCL syntax, for example %s.",
			v.name, from, typeexpr.TypeString(v.typ), example(v.typ)))
	// The parser recurses once per level of nesting: refuse what could overflow the stack.
	if _, ok := tooDeep(File{Name: "value of var." + v.name, Src: []byte(raw)}); !ok {
		return cty.NilVal, bad
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "value of var."+v.name, hcl.InitialPos)
	if diags.HasErrors() || len(expr.Variables()) > 0 {
		return cty.NilVal, bad
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, bad
	}
	return val, nil
}

// validate runs the validation blocks of v on its value.
func (l *loader) validate(v *variable) {
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.name: v.val})},
		Functions: functions,
	}
	for _, val := range v.validations {
		if val.cond == nil || val.errorMessage == nil {
			continue
		}
		cv, errs, _ := l.eval(val.cond.Expr, ctx, scope{onlyVar: v.name, code: codeVariableValue})
		if len(errs) > 0 {
			l.diags = append(l.diags, errs...)
			v.failed = append(v.failed, errs...)
			continue
		}
		cr := val.cond.Expr.Range()
		b, err := convert.Convert(cv, cty.Bool)
		if err != nil || b.IsNull() {
			d := newDiag(codeVariableValue, &cr, "Invalid validation condition",
				fmt.Sprintf("The condition of a validation of variable %q must be true or false. Write a condition such as length(var.%s) > 0.", v.name, v.name))
			l.diags = append(l.diags, d)
			v.failed = append(v.failed, d)
			continue
		}
		if !b.IsKnown() || b.True() {
			continue
		}
		msg := "The value does not pass the variable's validation."
		if mv, errs, _ := l.eval(val.errorMessage.Expr, ctx, scope{onlyVar: v.name}); len(errs) == 0 {
			if s, err := convert.Convert(mv, cty.String); err == nil && s.IsKnown() && !s.IsNull() {
				msg = s.AsString()
			}
		}
		subject := v.src
		if subject == nil {
			subject = &cr
		}
		d := newDiag(codeVariableValue, subject, "Invalid value for variable",
			fmt.Sprintf("%s\n\nThe value of var.%s fails the validation at %s. Give a value that passes it.", msg, v.name, where(val.block.DefRange)))
		l.diags = append(l.diags, d)
		v.failed = append(v.failed, d)
	}
	if len(v.failed) > 0 {
		v.val = cty.UnknownVal(v.typ)
	}
}

// example returns a value of type t written in HCL, for messages.
func example(t cty.Type) string {
	switch {
	case t == cty.String:
		return `"text"`
	case t == cty.Number:
		return "12"
	case t == cty.Bool:
		return "true"
	case t.IsListType() || t.IsSetType():
		return "[" + example(t.ElementType()) + "]"
	case t.IsMapType():
		return "{ key = " + example(t.ElementType()) + " }"
	case t.IsObjectType():
		names := make([]string, 0)
		for n := range t.AttributeTypes() {
			names = append(names, n)
		}
		sort.Strings(names)
		s := "{"
		for i, n := range names {
			if i > 0 {
				s += ","
			}
			s += " " + n + " = " + example(t.AttributeType(n))
		}
		return s + " }"
	}
	return `"text"`
}

// hashValue returns secret.Hash of the canonical JSON of a known value, or "" for an unknown one.
func hashValue(v cty.Value) string {
	if !v.IsWhollyKnown() {
		return ""
	}
	b, err := ctyjson.SimpleJSONValue{Value: v}.MarshalJSON()
	if err != nil {
		return ""
	}
	return secret.Hash(string(b))
}

// secrets returns the texts of sensitive variables, to be masked in diagnostics.
func (l *loader) secrets() []string {
	var out []string
	for _, name := range l.varNames {
		v := l.vars[name]
		if !v.sensitive || v.given == cty.NilVal || !v.given.IsWhollyKnown() {
			continue
		}
		_ = cty.Walk(v.given, func(_ cty.Path, x cty.Value) (bool, error) {
			if x.IsNull() {
				return false, nil
			}
			if x.Type() == cty.String && len(x.AsString()) >= minSecretLen {
				out = append(out, x.AsString())
			}
			return true, nil
		})
	}
	// Longer first, so that a secret containing another is masked whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
