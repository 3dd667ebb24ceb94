package spec

import (
	"fmt"
	"math"
	"math/big"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// attrKind is the type of a group attribute.
type attrKind int

const (
	kindInt attrKind = iota
	kindString
	kindBool
	kindStrings
)

// attrSpec describes one group attribute.
type attrSpec struct {
	name      string
	kind      attrKind
	required  bool
	wholeCode string // code of a number that is not whole; "type" when empty
	example   string // a value, for messages
}

// groupAttrs are the attributes of a group, in the order of the spec language's table.
var groupAttrs = []attrSpec{
	{name: "count", kind: kindInt, required: true, wholeCode: "count-range", example: "2"},
	{name: "cpu", kind: kindInt, required: true, example: "2"},
	{name: "mem", kind: kindInt, required: true, example: "4"},
	{name: "image_id", kind: kindString, required: true, example: `"img-lkxqa4kj"`},
	{name: "image_type", kind: kindString, example: `"public"`},
	{name: "period", kind: kindInt, required: true, wholeCode: "period-range", example: "12"},
	{name: "instance_type", kind: kindString, example: `"CVM.S2"`},
	{name: "zone_id", kind: kindInt, example: "100003"},
	{name: "storage_type", kind: kindString, example: `"cloud"`},
	{name: "storage_size", kind: kindInt, example: "100"},
	{name: "root_size", kind: kindInt, example: "20"},
	{name: "os", kind: kindString, example: `"linux"`},
	{name: "bandwidth_type", kind: kindString, example: `"PayByTraffic"`},
	{name: "bandwidth", kind: kindInt, wholeCode: "bandwidth-range", example: "10"},
	{name: "wan_ip", kind: kindBool, example: "true"},
	{name: "vpc_id", kind: kindString, example: `"vpc-2ari9m7h"`},
	{name: "subnet_id", kind: kindString, example: `"subnet-3lzrkspo"`},
	{name: "vpc_gateway", kind: kindBool, example: "false"},
	{name: "private_ips", kind: kindStrings, example: `["10.0.0.10"]`},
	{name: "password", kind: kindString, example: "var.admin_password"},
	{name: "key_id", kind: kindString, example: `"skey-3glfot13"`},
	{name: "security_agent", kind: kindBool, example: "true"},
	{name: "monitor_agent", kind: kindBool, example: "true"},
	{name: "project_id", kind: kindInt, wholeCode: "project-id", example: "0"},
	{name: "instance_name", kind: kindString, example: `"web"`},
	{name: "renew", kind: kindString, example: `"fleet"`},
	{name: "renew_within_days", kind: kindInt, wholeCode: "renew-within", example: "14"},
	{name: "renew_period", kind: kindInt, wholeCode: "renew-period", example: "1"},
}

// GroupAttributes returns the names of the attributes a group (and the defaults block) takes,
// in the order of the spec language's table.
func GroupAttributes() []string {
	out := make([]string, len(groupAttrs))
	for i, a := range groupAttrs {
		out[i] = a.name
	}
	return out
}

var (
	groupSchema    = &bodySchema{what: "a group block", attrs: append(GroupAttributes(), "for_each")}
	defaultsSchema = &bodySchema{what: "the defaults block", attrs: GroupAttributes()}
)

// forEachIndex is the index of for_each in the expressions of a group block.
var forEachIndex = len(groupAttrs)

// groupAttrIndex maps an attribute name to its index in groupAttrs; for_each to forEachIndex.
var groupAttrIndex = func() map[string]int {
	m := map[string]int{"for_each": len(groupAttrs)}
	for i, a := range groupAttrs {
		m[a.name] = i
	}
	return m
}()

// groupContent returns the expressions of a group body by the index of groupAttrs, with
// for_each at forEachIndex, and reports what a group does not take.
func groupContent(body hcl.Body) ([]hcl.Expression, hcl.Diagnostics) {
	exprs := make([]hcl.Expression, forEachIndex+1)
	if nb, ok := body.(*hclsyntax.Body); ok {
		var diags hcl.Diagnostics
		for name, a := range nb.Attributes {
			if i, ok := groupAttrIndex[name]; ok {
				exprs[i] = a.Expr
				continue
			}
			diags = append(diags, unknownItem(groupSchema, name, a.NameRange, true))
		}
		for _, blk := range nb.Blocks {
			diags = append(diags, unknownItem(groupSchema, blk.Type, blk.TypeRange, false))
		}
		return exprs, diags
	}
	attrs, _, diags := content(body, groupSchema)
	for name, a := range attrs {
		exprs[groupAttrIndex[name]] = a.Expr
	}
	return exprs, diags
}

// validName reports whether s may be a group label or a for_each key: letters, digits, "_",
// "-" and ".", starting with a letter, a digit or "_".
func validName(s string) bool {
	if s == "" || s[0] == '-' || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// maxInt is the largest number an integer attribute may hold.
const maxInt = math.MaxInt32

// attrValue is an evaluated attribute of a group or of the defaults block.
type attrValue struct {
	set     bool // written with a value other than null
	ok      bool // set, known and of the right type: the fields below hold it
	i       int
	s       string
	b       bool
	ss      []string
	rng     hcl.Range
	literal bool            // written without any reference
	diags   hcl.Diagnostics // why it is not ok: its own errors and those of what it uses
	own     int             // how many of diags, at their start, this evaluation made
}

// evalAttr evaluates a group attribute and converts it to its type.
func (l *loader) evalAttr(spec attrSpec, expr hcl.Expression, ctx *hcl.EvalContext, sc scope) *attrValue {
	v, errs, failed, nrefs := l.evalN(expr, ctx, sc)
	av := &attrValue{set: true, rng: expr.Range(), literal: nrefs == 0}
	if len(errs) > 0 || len(failed) > 0 {
		av.diags, av.own = append(errs, failed...), len(errs)
		return av
	}
	if v.IsNull() {
		return &attrValue{}
	}
	if !v.IsWhollyKnown() {
		if d := l.brokenFiles[av.rng.Filename]; d != nil {
			av.diags = hcl.Diagnostics{d}
			return av
		}
		av.diags = hcl.Diagnostics{newDiag(codeType, rangePtr(av.rng), "Value not known",
			fmt.Sprintf("The value of %s cannot be determined from the spec. Give it a value that does not depend on anything unknown.", spec.name))}
		av.own = 1
		return av
	}
	if v.ContainsMarked() {
		v, _ = v.UnmarkDeep()
	}
	var d *hcl.Diagnostic
	switch spec.kind {
	case kindInt:
		av.i, d = toInt(v, spec.name, spec.wholeCode, av.rng)
	case kindString:
		sv, err := convert.Convert(v, cty.String)
		if err != nil {
			d = typeDiag(spec, "a string", v, err, av.rng)
		} else {
			av.s = sv.AsString()
		}
	case kindBool:
		bv, err := convert.Convert(v, cty.Bool)
		if err != nil {
			d = typeDiag(spec, "true or false", v, err, av.rng)
		} else {
			av.b = bv.True()
		}
	case kindStrings:
		lv, err := convert.Convert(v, cty.List(cty.String))
		if err == nil {
			for it := lv.ElementIterator(); it.Next(); {
				_, e := it.Element()
				if e.IsNull() {
					err = fmt.Errorf("an element is null")
					break
				}
				av.ss = append(av.ss, e.AsString())
			}
		}
		if err != nil {
			d = typeDiag(spec, "a list of strings", v, err, av.rng)
		}
	}
	if d != nil {
		if spec.name == "zone_id" {
			d.Detail += l.zoneNameHint(v)
		}
		av.diags, av.own = hcl.Diagnostics{d}, 1
		return av
	}
	av.ok = true
	return av
}

func typeDiag(spec attrSpec, want string, v cty.Value, err error, r hcl.Range) *hcl.Diagnostic {
	return newDiag(codeType, &r, "Wrong type for "+spec.name,
		fmt.Sprintf("%s must be %s, but this value is %s (%s). Write a value such as %s = %s.",
			spec.name, want, typeName(v.Type()), err, spec.name, spec.example))
}

// typeName names a type for messages: "a string", "a list", ...
func typeName(t cty.Type) string {
	switch {
	case t == cty.String:
		return "a string"
	case t == cty.Number:
		return "a number"
	case t == cty.Bool:
		return "a bool"
	case t.IsListType() || t.IsTupleType():
		return "a list"
	case t.IsSetType():
		return "a set"
	case t.IsMapType() || t.IsObjectType():
		return "a map"
	}
	return t.FriendlyName()
}

// toInt converts a value to an integer attribute's int. A number that is not whole, or too
// large, is reported with wholeCode (the attribute's range code) or "type".
func toInt(v cty.Value, name, wholeCode string, r hcl.Range) (int, *hcl.Diagnostic) {
	nv, err := v, error(nil)
	if v.Type() != cty.Number {
		nv, err = convert.Convert(v, cty.Number)
	}
	if err != nil || nv.IsNull() {
		return 0, newDiag(codeType, &r, "Wrong type for "+name,
			fmt.Sprintf("%s must be a whole number, but this value is %s that cannot be read as a number. Write a number, such as %s = 2.",
				name, typeName(v.Type()), name))
	}
	code := wholeCode
	if code == "" {
		code = codeType
	}
	if n, ok := smallInt(nv); ok {
		return n, nil
	}
	bf := nv.AsBigFloat()
	if !bf.IsInt() {
		return 0, newDiag(code, &r, "Number not whole",
			fmt.Sprintf("%s must be a whole number, and this value has a fraction. Round it to a whole number.", name))
	}
	n, acc := bf.Int64()
	if acc != big.Exact || n > maxInt || n < -maxInt {
		return 0, newDiag(code, &r, "Number too large",
			fmt.Sprintf("%s must be a whole number between %d and %d. Use a smaller number.", name, -maxInt, maxInt))
	}
	return int(n), nil
}

// smallInt returns a known number that is a whole number within the int range without
// copying it, the common case.
func smallInt(v cty.Value) (int, bool) {
	if !v.IsKnown() || v.IsNull() {
		return 0, false
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if acc != big.Exact || n > maxInt || n < -maxInt {
		return 0, false
	}
	return int(n), true
}

// evalDefaults reads the defaults block.
func (l *loader) evalDefaults() {
	l.defaults = map[string]*attrValue{}
	l.defaultRanges = map[string]hcl.Range{}
	if len(l.defaultBlocks) == 0 {
		return
	}
	b := l.defaultBlocks[0]
	for _, other := range l.defaultBlocks[1:] {
		l.diags = append(l.diags, newDiag(codeDuplicateDecl, rangePtr(other.DefRange), "Second defaults block",
			fmt.Sprintf("A spec has at most one defaults block, and one is already declared at %s. Merge the two.", where(b.DefRange))))
	}
	attrs, _, diags := content(b.Body, defaultsSchema)
	l.diags = append(l.diags, diags...)
	l.defaultsDiags = diags
	for _, spec := range groupAttrs {
		a := attrs[spec.name]
		if a == nil {
			continue
		}
		av := l.evalAttr(spec, a.Expr, l.ctx, scope{})
		l.diags = append(l.diags, av.diags...)
		if av.set {
			l.defaults[spec.name] = av
		}
		if av.ok {
			l.defaultRanges[spec.name] = av.rng
		}
	}
}

// sameRange reports whether a and b cover the same bytes of the same file.
func sameRange(a, b hcl.Range) bool {
	return a.Filename == b.Filename && a.Start.Byte == b.Start.Byte && a.End.Byte == b.End.Byte
}

// blockResult is what one group block yields.
type blockResult struct {
	groups []*Group
	diags  hcl.Diagnostics // diagnostics that belong to no group made by the block
	label  hcl.Range       // the block's label
}

// groupBlockChecked evaluates one group block into its groups and applies the rules to
// each of them.
func (l *loader) groupBlockChecked(b *hcl.Block) blockResult {
	r := l.groupBlock(b)
	// The rules are pure functions of a group, so they run in the caller's worker too.
	for _, g := range r.groups {
		ds := checkGroup(l.fleet.Region, g, l.defaultRanges)
		if strings.HasSuffix(g.Name, "]") {
			// Made for this key alone: finish names the key when not every key has it.
			for _, d := range ds {
				withGroup(g.Name, d)
			}
		}
		g.Diags = append(g.Diags, ds...)
	}
	return r
}

// evalGroupBlocks evaluates the collected group blocks, several at a time, and returns
// their results in the order of l.groupBlocks.
func (l *loader) evalGroupBlocks() []blockResult {
	results := make([]blockResult, len(l.groupBlocks))
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), (len(l.groupBlocks)+63)/64)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(results) {
					return
				}
				results[i] = l.groupBlockChecked(l.groupBlocks[i])
			}
		}()
	}
	wg.Wait()
	return results
}

// addGroups adds the groups of every block result, in the order given, to the fleet: a
// group whose name an earlier one has is reported and dropped. Then it sorts the groups and
// applies the rules that span groups.
func (l *loader) addGroups(results []blockResult) {
	f := l.fleet
	byName := make(map[string]*Group, len(results))
	for _, r := range results {
		l.diags = append(l.diags, r.diags...)
		for _, g := range r.groups {
			first := byName[g.Name]
			if first == nil {
				byName[g.Name] = g
				f.Groups = append(f.Groups, g)
				continue
			}
			d := newDiag(codeDuplicateGroup, rangePtr(r.label), "Duplicate group",
				fmt.Sprintf("A group named %q is already declared at %s. Group names are unique in a fleet: rename one of them.",
					g.Name, where(first.DeclRange)))
			first.Diags = append(first.Diags, d)
			// The second group is dropped; what is wrong with it is still news.
			l.diags = append(l.diags, g.Diags...)
		}
	}
	sort.Slice(f.Groups, func(i, j int) bool { return f.Groups[i].Name < f.Groups[j].Name })
	l.diags = append(l.diags, checkDefaultsRenewal(f.Groups, l.defaultRanges)...)
	for _, d := range checkFleet(f) {
		l.diags = append(l.diags, d)
		if d.Subject == nil {
			continue
		}
		for _, g := range f.Groups {
			if usesRange(g, *d.Subject) {
				g.Diags = append(g.Diags, d)
			}
		}
	}
}

// usesRange reports whether r is the range of one of g's attributes or its header.
func usesRange(g *Group, r hcl.Range) bool {
	if sameRange(g.DeclRange, r) {
		return true
	}
	for _, a := range g.Ranges {
		if sameRange(a, r) {
			return true
		}
	}
	return false
}

// groupBlock evaluates one group block into its groups.
func (l *loader) groupBlock(b *hcl.Block) blockResult {
	res := blockResult{label: labelRange(b)}
	label := b.Labels[0]
	exprs, diags := groupContent(b.Body)
	common := diags
	if !validName(label) {
		common = append(common, newDiag(codeGroupName, rangePtr(labelRange(b)), "Invalid group name",
			fmt.Sprintf("A group name is made of letters, digits, \"_\", \"-\" and \".\" and starts with a letter, a digit or \"_\"; %q is not. Rename the group, for example to %q.",
				label, "web")))
	}
	bg := &blockGroups{l: l, block: b, label: label, exprs: exprs, common: common}
	for i, e := range exprs[:forEachIndex] {
		if e != nil || l.defaults[groupAttrs[i].name] != nil {
			bg.nset++
		}
	}
	fe := exprs[forEachIndex]
	if fe == nil {
		res.groups = append(res.groups, bg.build(label, l.ctx, false))
		return res
	}
	v, errs, failed := l.eval(fe, l.ctx, scope{})
	res.diags = append(append(res.diags, errs...), failed...)
	res.diags = append(res.diags, common...)
	if len(errs) > 0 || len(failed) > 0 {
		return res
	}
	items, d := forEachItems(v, fe.Range())
	if d != nil {
		res.diags = append(res.diags, d)
		return res
	}
	for _, it := range items {
		if !validName(it.key) {
			res.diags = append(res.diags, newDiag(codeGroupName, rangePtr(fe.Range()), "Invalid for_each key",
				fmt.Sprintf("The for_each key %q cannot be part of a group name: keys are made of letters, digits, \"_\", \"-\" and \".\" and start with a letter, a digit or \"_\". Change the key; no group is made for it.",
					it.key)))
			continue
		}
		ctx := l.ctx.NewChild()
		ctx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(it.key), "value": it.value})}
		res.groups = append(res.groups, bg.build(label+"["+it.key+"]", ctx, true))
	}
	return res
}

type forEachItem struct {
	key   string
	value cty.Value
}

// forEachItems returns the keys and values of a for_each value in key order.
func forEachItems(v cty.Value, r hcl.Range) ([]forEachItem, *hcl.Diagnostic) {
	bad := func(what string) *hcl.Diagnostic {
		return newDiag(codeType, &r, "Invalid for_each",
			fmt.Sprintf("for_each must be a map, an object or a set of strings, but this is %s. %s", what,
				"Write a map such as { a = 100003, b = 100004 }, or turn a list of strings into a set with toset([...])."))
	}
	if v.IsNull() {
		return nil, bad("null")
	}
	if !v.IsWhollyKnown() {
		return nil, nil
	}
	v, _ = v.UnmarkDeep()
	t := v.Type()
	var items []forEachItem
	switch {
	case t.IsMapType() || t.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			items = append(items, forEachItem{key: k.AsString(), value: e})
		}
	case t.IsSetType():
		sv, err := convert.Convert(v, cty.Set(cty.String))
		if err != nil {
			return nil, bad("a set of " + t.ElementType().FriendlyName() + " values")
		}
		for it := sv.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() {
				return nil, bad("a set holding null")
			}
			items = append(items, forEachItem{key: e.AsString(), value: e})
		}
	case t.IsListType() || t.IsTupleType():
		return nil, bad("a list")
	default:
		return nil, bad(t.FriendlyName())
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	return items, nil
}

// blockGroups builds the groups of one block, sharing what the keys of a for_each have in
// common.
type blockGroups struct {
	l       *loader
	block   *hcl.Block
	label   string
	exprs   []hcl.Expression           // by the index of groupAttrs; for_each at forEachIndex
	common  hcl.Diagnostics            // the block's own structural problems
	missing map[string]*hcl.Diagnostic // one missing-attribute diagnostic per attribute
	nset    int                        // how many attributes the block and the defaults set, at most
}

// build evaluates one group of the block.
func (bg *blockGroups) build(name string, ctx *hcl.EvalContext, each bool) *Group {
	l := bg.l
	g := &Group{
		Name:      name,
		DeclRange: bg.block.DefRange,
		Ranges:    make(map[string]hcl.Range, bg.nset),
		Literals:  make(map[string]bool, bg.nset),
	}
	g.Diags = append(g.Diags, bg.common...)
	g.Diags = append(g.Diags, l.defaultsDiags...)
	c := Config{
		ImageType:     "public",
		InstanceType:  "CVM.S1",
		StorageType:   "local",
		RootSize:      20,
		OS:            "linux",
		BandwidthType: "PayByBandwidth",
		SecurityAgent: true,
		MonitorAgent:  true,
		ProjectID:     l.fleet.ProjectID,
		InstanceName:  name,
	}
	g.Renewal = Renewal{Mode: RenewNotify, WithinDays: DefaultRenewWithinDays, Period: DefaultRenewPeriod}
	for i, spec := range groupAttrs {
		var av *attrValue
		if e := bg.exprs[i]; e != nil {
			av = l.evalAttr(spec, e, ctx, scope{each: each})
			if !av.set {
				av = nil // null: as if unset
			}
		}
		if av != nil && each {
			// Made for this key alone: finish names the key when not every key has it.
			for _, d := range av.diags[:av.own] {
				withGroup(name, d)
			}
		}
		if av == nil {
			av = l.defaults[spec.name]
		}
		if av == nil {
			if spec.required {
				g.Diags = append(g.Diags, bg.missingDiag(spec))
			}
			continue
		}
		if !av.ok {
			g.Diags = append(g.Diags, av.diags...)
			continue
		}
		g.Ranges[spec.name] = av.rng
		g.Literals[spec.name] = av.literal
		setConfig(&c, g, spec.name, av)
	}
	if _, ok := g.Ranges["root_size"]; !ok && c.OS == "windows" {
		c.RootSize = 50
	}
	if _, ok := g.Ranges["wan_ip"]; !ok {
		c.WanIP = c.Bandwidth > 0
	}
	g.Config = c
	return g
}

func (bg *blockGroups) missingDiag(spec attrSpec) *hcl.Diagnostic {
	if d := bg.missing[spec.name]; d != nil {
		return d
	}
	if bg.missing == nil {
		bg.missing = map[string]*hcl.Diagnostic{}
	}
	d := newDiag(codeMissingAttr, rangePtr(bg.block.DefRange), "Missing "+spec.name,
		fmt.Sprintf("Group %q does not set %s, which every group needs. Set it in the group or in the defaults block: %s = %s.",
			bg.label, spec.name, spec.name, spec.example))
	bg.missing[spec.name] = d
	return d
}

// setConfig stores an attribute's value in the configuration, or in g for the attributes
// that are not part of it (count and the renewal ones).
func setConfig(c *Config, g *Group, name string, av *attrValue) {
	switch name {
	case "count":
		g.Count = av.i
	case "cpu":
		c.CPU = av.i
	case "mem":
		c.Mem = av.i
	case "image_id":
		c.ImageID = av.s
	case "image_type":
		c.ImageType = av.s
	case "period":
		c.Period = av.i
	case "instance_type":
		c.InstanceType = av.s
	case "zone_id":
		c.ZoneID = av.i
	case "storage_type":
		c.StorageType = av.s
	case "storage_size":
		c.StorageSize = av.i
	case "root_size":
		c.RootSize = av.i
	case "os":
		c.OS = av.s
	case "bandwidth_type":
		c.BandwidthType = av.s
	case "bandwidth":
		c.Bandwidth = av.i
	case "wan_ip":
		c.WanIP = av.b
	case "vpc_id":
		c.VpcID = av.s
	case "subnet_id":
		c.SubnetID = av.s
	case "vpc_gateway":
		c.VpcGateway = av.b
	case "private_ips":
		c.PrivateIPs = append([]string(nil), av.ss...)
	case "password":
		c.Password = av.s
	case "key_id":
		c.KeyID = av.s
	case "security_agent":
		c.SecurityAgent = av.b
	case "monitor_agent":
		c.MonitorAgent = av.b
	case "project_id":
		c.ProjectID = av.i
	case "instance_name":
		c.InstanceName = av.s
	case "renew":
		g.Renewal.Mode = av.s
	case "renew_within_days":
		g.Renewal.WithinDays = av.i
	case "renew_period":
		g.Renewal.Period = av.i
	}
}
