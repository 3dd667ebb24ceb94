package spec

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"fleet/internal/catalog"
)

// topSchema is what a spec file holds.
var topSchema = &bodySchema{
	what: "a spec file",
	blocks: []hcl.BlockHeaderSchema{
		{Type: "fleet", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "defaults"},
		{Type: "group", LabelNames: []string{"name"}},
		{Type: "moved"},
		{Type: "removed"},
	},
}

var fleetSchema = &bodySchema{
	what:   "the fleet block",
	attrs:  []string{"region", "project_id"},
	blocks: []hcl.BlockHeaderSchema{{Type: "backend", LabelNames: []string{"type"}}},
}

var backendSchema = &bodySchema{what: "the backend block", attrs: []string{"schema"}}

// loader holds the state of one Load.
type loader struct {
	in    Inputs
	diags hcl.Diagnostics // diagnostics that belong to no single group
	// syntaxErrors is set when a file could not be parsed: what it held is then unknown, and
	// the loader does not complain about things that may be missing only for that reason.
	syntaxErrors bool
	// brokenFiles maps the name of each file that could not be parsed to its first error:
	// the cause of any value of that file that cannot be known.
	brokenFiles map[string]*hcl.Diagnostic

	fleetBlocks   []*hcl.Block
	varBlocks     []*hcl.Block
	localAttrs    []*hcl.Attribute
	defaultBlocks []*hcl.Block
	groupBlocks   []*hcl.Block
	movedBlocks   []*hcl.Block
	removedBlocks []*hcl.Block

	vars       map[string]*variable
	varNames   []string
	locals     map[string]*local
	localNames []string
	varObj     cty.Value        // the var object
	ctx        *hcl.EvalContext // var, local and the functions

	defaults map[string]*attrValue // evaluated defaults block attributes
	// defaultRanges are the ranges of the defaults block's well-typed attributes: a group
	// attribute with one of them took its value from the defaults block.
	defaultRanges map[string]hcl.Range
	// defaultsDiags are the defaults block's own structural errors; every group carries them,
	// since a mistyped default changes what each group would buy.
	defaultsDiags hcl.Diagnostics

	fleet *Fleet
}

// Load parses and evaluates the spec files with the variable values in. It reads nothing
// itself: files and inputs are all it knows.
//
// Load always returns a Fleet, also when the spec is broken: its Diags (the second result)
// holds every problem found in every file. A group whose own configuration has an error
// carries that error in Group.Diags as well and must not be purchased. Load never panics on
// any input.
//
// Group names are the block's label, or NAME[KEY] for each key of a for_each. Labels and
// keys are limited to letters, digits, "_", "-" and "." (starting with a letter, a digit or
// "_"), so that every name can be shown, logged and used as an instance name unchanged; a
// key outside that set is reported with code group-name and yields no group.
func Load(files []File, in Inputs) (*Fleet, hcl.Diagnostics) {
	var later []int
	pieces := make([][]piece, len(files))
	for i, f := range files {
		if ps, ok := streamable(f); ok {
			later = append(later, i)
			pieces[i] = ps
		}
	}
	l, ok := load(files, in, later, pieces)
	if !ok {
		// A piece guessed to hold only groups holds more, or a piece cannot be parsed: what
		// it declares may matter to every group, so every file is parsed whole before any
		// group is evaluated.
		l, _ = load(files, in, nil, nil)
	}
	l.finish(files)
	return l.fleet, l.fleet.Diags
}

// load parses and evaluates the files. Of the files at the indices in later (see
// streamable), cut into the pieces given by file index, the pieces that hold anything but
// group blocks are parsed first, with the other files; their pieces of group blocks are
// parsed last, each together with the evaluation of its groups, so that their syntax trees
// are not all alive at once. load reports false when a piece turns out to hold what it was
// not guessed to hold, or has a syntax error.
func load(files []File, in Inputs, later []int, pieces [][]piece) (*loader, bool) {
	l := &loader{in: in, fleet: &Fleet{}, brokenFiles: map[string]*hcl.Diagnostic{}}
	isLater := make([]bool, len(files))
	for _, i := range later {
		isLater[i] = true
	}
	// The files and pieces parsed first, in file order.
	var units []parseUnit
	for i := range files {
		if !isLater[i] {
			units = append(units, parseUnit{file: i, whole: true})
			continue
		}
		for _, p := range pieces[i] {
			if !p.groups {
				units = append(units, parseUnit{file: i, piece: p})
			}
		}
	}
	nblocks := make([]int, len(files)) // the group blocks collected from each file parsed first
	for k, f := range parseUnits(files, units) {
		u := units[k]
		if !u.whole && (f.diags.HasErrors() || !onlyBlocks(f.body, false)) {
			return nil, false
		}
		l.diags = append(l.diags, f.diags...)
		if f.diags.HasErrors() {
			l.syntaxErrors = true
			l.brokenFiles[files[u.file].Name] = firstError(f.diags)
		}
		before := len(l.groupBlocks)
		l.collect(f.body, f.diags.HasErrors())
		nblocks[u.file] += len(l.groupBlocks) - before
	}
	l.variables()
	l.evalLocals()
	l.buildContext()
	l.fleetBlock(files)
	l.evalDefaults()
	early := l.evalGroupBlocks()
	l.groupBlocks = nil // their trees are no longer needed
	var streamed []fileGroups
	if len(later) > 0 {
		var ok bool
		if streamed, ok = l.streamGroups(files, later, pieces); !ok {
			return nil, false
		}
	}
	results := make([]blockResult, 0, len(early))
	for i := range files {
		if isLater[i] {
			l.diags = append(l.diags, streamed[i].diags...)
			results = append(results, streamed[i].blocks...)
			continue
		}
		results = append(results, early[:nblocks[i]]...)
		early = early[nblocks[i]:]
	}
	l.addGroups(results)
	l.moveBlocks()
	return l, true
}

// collect sorts the blocks of one file body by type.
func (l *loader) collect(body hcl.Body, broken bool) {
	if body == nil {
		return
	}
	_, blocks, diags := content(body, topSchema)
	if broken {
		// What a file that could not be parsed seems to hold is no news to the user.
		diags = dropCode(diags, codeSyntax)
	}
	l.diags = append(l.diags, diags...)
	for _, b := range blocks {
		switch b.Type {
		case "fleet":
			l.fleetBlocks = append(l.fleetBlocks, b)
		case "variable":
			l.varBlocks = append(l.varBlocks, b)
		case "locals":
			attrs, ds := justAttributes(b.Body, "a locals block")
			l.diags = append(l.diags, ds...)
			l.localAttrs = append(l.localAttrs, sortedAttrs(attrs)...)
		case "defaults":
			l.defaultBlocks = append(l.defaultBlocks, b)
		case "group":
			l.groupBlocks = append(l.groupBlocks, b)
		case "moved":
			l.movedBlocks = append(l.movedBlocks, b)
		case "removed":
			l.removedBlocks = append(l.removedBlocks, b)
		}
	}
}

// firstError returns the first error of diags.
func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d
		}
	}
	return nil
}

// dropCode returns the diagnostics that do not have the code.
func dropCode(diags hcl.Diagnostics, code string) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if Code(d) != code {
			out = append(out, d)
		}
	}
	return out
}

// justAttributes returns the attributes of a body that takes any attribute name and no
// blocks; what names the body in messages.
func justAttributes(body hcl.Body, what string) (hcl.Attributes, hcl.Diagnostics) {
	if nb, ok := body.(*hclsyntax.Body); ok {
		attrs := make(hcl.Attributes, len(nb.Attributes))
		for name, a := range nb.Attributes {
			attrs[name] = a.AsHCLAttribute()
		}
		var diags hcl.Diagnostics
		s := &bodySchema{what: what}
		for _, blk := range nb.Blocks {
			diags = append(diags, unknownItem(s, blk.Type, blk.TypeRange, false))
		}
		return attrs, diags
	}
	attrs, diags := body.JustAttributes()
	for _, d := range diags {
		WithCode(codeSyntax, d)
	}
	return attrs, diags
}

// buildContext makes the evaluation context of the fleet, defaults and group blocks.
func (l *loader) buildContext() {
	locals := make(map[string]cty.Value, len(l.locals))
	for name, lv := range l.locals {
		locals[name] = lv.val
	}
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": l.varObj, "local": cty.ObjectVal(locals)},
		Functions: functions,
	}
}

// fleetBlock reads the one fleet block.
func (l *loader) fleetBlock(files []File) {
	f := l.fleet
	if len(l.fleetBlocks) == 0 {
		if l.syntaxErrors {
			return // the block may be in the part that could not be parsed
		}
		var subject *hcl.Range
		if len(files) > 0 {
			subject = &hcl.Range{Filename: files[0].Name, Start: hcl.InitialPos, End: hcl.InitialPos}
		}
		l.diags = append(l.diags, newDiag(codeFleetBlock, subject, "No fleet block",
			"A spec needs exactly one fleet block naming the fleet and its region, for example: fleet \"prod\" { region = \"ap-guangzhou\" }."))
		return
	}
	b := l.fleetBlocks[0]
	for _, other := range l.fleetBlocks[1:] {
		l.diags = append(l.diags, newDiag(codeFleetBlock, rangePtr(labelRange(other)), "Second fleet block",
			fmt.Sprintf("A spec has exactly one fleet block, and one is already declared at %s. Remove this one or merge the two.", where(b.DefRange))))
	}
	f.Name = b.Labels[0]
	f.DeclRange = b.DefRange
	attrs, blocks, diags := content(b.Body, fleetSchema)
	l.diags = append(l.diags, diags...)
	l.backend(blocks)
	if f.Name == "" {
		l.diags = append(l.diags, newDiag(codeFleetBlock, rangePtr(labelRange(b)), "Empty fleet name",
			"The fleet's name is part of every purchase's client token. Give the fleet a name: fleet \"prod\" { ... }."))
	}
	if a := attrs["region"]; a != nil {
		l.region(a)
	} else {
		l.diags = append(l.diags, newDiag(codeMissingAttr, rangePtr(b.DefRange), "Missing region",
			"The fleet block must set the region to buy in, a long or short code: region = \"ap-guangzhou\" or region = \"gz\"."))
	}
	if a := attrs["project_id"]; a != nil {
		v, errs, failed := l.eval(a.Expr, l.ctx, scope{})
		l.diags = append(l.diags, errs...)
		if len(errs) == 0 && len(failed) == 0 && v.IsWhollyKnown() && !v.IsNull() {
			n, d := toInt(v, "project_id", codeProjectID, a.Expr.Range())
			switch {
			case d != nil:
				l.diags = append(l.diags, d)
			case n < 0:
				l.diags = append(l.diags, newDiag(codeProjectID, rangePtr(a.Expr.Range()), "Negative project id",
					"project_id is a project's number, 0 or more; 0 is the default project. Correct the value."))
			default:
				f.ProjectID = n
			}
		}
	}
}

// backend reads the fleet block's backend block, if any: where the state lives.
func (l *loader) backend(blocks []*hcl.Block) {
	for i, b := range blocks {
		if i > 0 {
			l.diags = append(l.diags, newDiag(codeBackend, rangePtr(b.DefRange), "Second backend block",
				fmt.Sprintf("A fleet has one backend, and one is already declared at %s. Remove this one.", where(blocks[0].DefRange))))
			continue
		}
		typ := b.Labels[0]
		if typ != BackendPostgres {
			r := labelRange(b)
			l.diags = append(l.diags, newDiag(codeBackend, &r, "Unknown backend",
				fmt.Sprintf("There is no backend %q. Use backend \"postgres\" { schema = \"fleet\" } to keep the state in PostgreSQL, or no backend block for the local file.", typ)))
			continue
		}
		be := &Backend{Type: typ, Schema: DefaultBackendSchema, DeclRange: b.DefRange}
		before := len(l.diags)
		attrs, _, diags := content(b.Body, backendSchema)
		l.diags = append(l.diags, diags...)
		if a := attrs["schema"]; a != nil {
			v, errs, failed := l.eval(a.Expr, l.ctx, scope{})
			l.diags = append(l.diags, errs...)
			r := a.Expr.Range()
			switch {
			case len(errs) > 0 || len(failed) > 0 || !v.IsWhollyKnown():
			case v.IsNull() || v.Type() != cty.String:
				l.diags = append(l.diags, newDiag(codeType, &r, "Wrong type for schema",
					"The backend's schema is a string naming a PostgreSQL schema, such as \"fleet\"."))
			case !validSchemaName(v.AsString()):
				l.diags = append(l.diags, newDiag(codeBackend, &r, "Invalid schema name",
					fmt.Sprintf("%q is not a schema name fleet uses: write lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters.", v.AsString())))
			default:
				be.Schema = v.AsString()
			}
		}
		be.Invalid = l.diags[before:].HasErrors()
		l.fleet.Backend = be
	}
}

// validSchemaName reports whether s is a plain PostgreSQL schema name.
func validSchemaName(s string) bool {
	if s == "" || len(s) > 63 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// region reads and resolves the fleet's region.
func (l *loader) region(a *hcl.Attribute) {
	v, errs, failed := l.eval(a.Expr, l.ctx, scope{})
	l.diags = append(l.diags, errs...)
	if len(errs) > 0 || len(failed) > 0 || !v.IsWhollyKnown() {
		return
	}
	r := a.Expr.Range()
	if v.IsNull() {
		l.diags = append(l.diags, newDiag(codeMissingAttr, &r, "Missing region",
			"The fleet block must set the region to buy in; it is null here. Give a region code such as \"ap-guangzhou\"."))
		return
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		l.diags = append(l.diags, newDiag(codeType, &r, "Wrong type for region",
			fmt.Sprintf("The region must be a string such as \"ap-guangzhou\", but %s.", err)))
		return
	}
	code := s.AsString()
	cat := catalog.Default()
	if reg, ok := cat.Region(code); ok {
		l.fleet.Region = reg.Code
		return
	}
	var codes, long []string
	for _, reg := range cat.Regions() {
		codes = append(append(codes, reg.Code), reg.Short...)
		long = append(long, reg.Code)
	}
	l.diags = append(l.diags, newDiag(codeRegion, &r, "Unknown region",
		fmt.Sprintf("There is no region %q.%s Use one of %s, or a short code such as \"gz\".",
			code, didYouMean(code, codes), quotedList(long))))
}

// labelRange returns the range of a block's first label, or its header when it has none.
func labelRange(b *hcl.Block) hcl.Range {
	if len(b.LabelRanges) > 0 {
		return b.LabelRanges[0]
	}
	return b.DefRange
}

// finish sorts and cleans the diagnostics and fills the fleet.
func (l *loader) finish(files []File) {
	f := l.fleet
	order := map[string]int{}
	for i, file := range files {
		order[file.Name] = i + 1
	}
	for i, file := range l.in.VarFiles {
		if _, ok := order[file.Name]; !ok {
			order[file.Name] = len(files) + i + 1
		}
	}
	var all hcl.Diagnostics
	seen := map[*hcl.Diagnostic]bool{}
	same := map[diagKey]bool{}
	add := func(d *hcl.Diagnostic) {
		if seen[d] {
			return
		}
		seen[d] = true
		k := keyOf(d)
		if same[k] {
			return
		}
		same[k] = true
		all = append(all, d)
	}
	for _, d := range l.diags {
		add(d)
	}
	for _, g := range f.Groups {
		for _, d := range g.Diags {
			add(d)
		}
	}
	nameGroups(f.Groups, all)
	secrets := l.secrets()
	for _, g := range f.Groups {
		// A password is a secret whether or not it came from a sensitive variable.
		if len(g.Config.Password) >= minSecretLen {
			secrets = append(secrets, g.Config.Password)
		}
	}
	sort.SliceStable(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, d := range all {
		d.Expression, d.EvalContext = nil, nil
		for _, s := range secrets {
			d.Summary = strings.ReplaceAll(d.Summary, s, "(sensitive value)")
			d.Detail = strings.ReplaceAll(d.Detail, s, "(sensitive value)")
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return lessDiag(order, all[i], all[j]) })
	for _, g := range f.Groups {
		sort.SliceStable(g.Diags, func(i, j int) bool { return lessDiag(order, g.Diags[i], g.Diags[j]) })
	}
	f.Diags = all
}

// nameGroups records in each diagnostic of a group the group it is about (DiagGroup): the
// one group that has it, or the block all of its groups come from. A diagnostic made for
// some keys of a for_each block but not for all of them names those keys in its summary
// ("Invalid zone in web[gz3]"): the range alone, shared by every key, does not say which.
// Diagnostics that say the same at the same place are changed alike.
func nameGroups(groups []*Group, all hcl.Diagnostics) {
	type carriers struct {
		groups []string // the groups that have the diagnostic
		keyed  []string // those of them it was made for alone
	}
	by := map[diagKey]*carriers{}
	keyOfDiag := map[*hcl.Diagnostic]diagKey{}
	keys := map[string]int{} // block label -> how many keyed groups it made
	for _, g := range groups {
		label, _, keyed := strings.Cut(g.Name, "[")
		if keyed {
			keys[label]++
		}
		for _, d := range g.Diags {
			k, ok := keyOfDiag[d]
			if !ok {
				k = keyOf(d)
				keyOfDiag[d] = k
			}
			c := by[k]
			if c == nil {
				c = &carriers{}
				by[k] = c
			}
			if !slices.Contains(c.groups, g.Name) {
				c.groups = append(c.groups, g.Name)
			}
			if keyed && DiagGroup(d) == g.Name && !slices.Contains(c.keyed, g.Name) {
				c.keyed = append(c.keyed, g.Name)
			}
		}
	}
	for _, d := range all {
		if _, ok := keyOfDiag[d]; !ok {
			keyOfDiag[d] = keyOf(d)
		}
	}
	for d, k := range keyOfDiag {
		c := by[k]
		if c == nil {
			continue
		}
		label := blockLabel(c.groups[0])
		same := true
		for _, name := range c.groups[1:] {
			same = same && blockLabel(name) == label
		}
		group := ""
		switch {
		case len(c.groups) == 1:
			group = c.groups[0]
		case same:
			group = label
		}
		withGroup(group, d)
		if len(c.keyed) > 0 && same && (len(c.keyed) < keys[label] || keys[label] == 1) {
			d.Summary += " in " + namesList(c.keyed)
		}
	}
}

// blockLabel returns the label of the block a group comes from: "web" for "web[gz3]".
func blockLabel(name string) string {
	label, _, _ := strings.Cut(name, "[")
	return label
}

// namesList returns "a", "a and b", "a, b and c", or "a, b, c and 4 more".
func namesList(names []string) string {
	const most = 3
	if len(names) > most+1 {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// diagKey identifies diagnostics that say the same thing at the same place: a for_each
// group makes one per key of the same mistake, and the user needs to read it once.
type diagKey struct {
	sev            hcl.DiagnosticSeverity
	code, sum, det string
	file           string
	start, end     int
	hasSubject     bool
}

func keyOf(d *hcl.Diagnostic) diagKey {
	k := diagKey{sev: d.Severity, code: Code(d), sum: d.Summary, det: d.Detail}
	if d.Subject != nil {
		k.hasSubject, k.file, k.start, k.end = true, d.Subject.Filename, d.Subject.Start.Byte, d.Subject.End.Byte
	}
	return k
}

// lessDiag orders diagnostics by file (in the order given), then by position; diagnostics
// with no place come first.
func lessDiag(order map[string]int, a, b *hcl.Diagnostic) bool {
	if (a.Subject == nil) != (b.Subject == nil) {
		return a.Subject == nil
	}
	if a.Subject == nil {
		return false
	}
	fa, fb := order[a.Subject.Filename], order[b.Subject.Filename]
	if fa != fb {
		return fa < fb
	}
	if a.Subject.Filename != b.Subject.Filename {
		return a.Subject.Filename < b.Subject.Filename
	}
	return a.Subject.Start.Byte < b.Subject.Start.Byte
}
