package spec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Codes of the diagnostics of moved and removed blocks.
const (
	// CodeMovedCycle is a chain of moved blocks that comes back to where it started.
	CodeMovedCycle = "moved-cycle"
	// CodeMovedConflict is two moves to one address, two moves from one address, a move to
	// itself, a move whose from is still declared, or (in the plan) a move whose destination
	// still holds instances in the state.
	CodeMovedConflict = "moved-conflict"
	// CodeMovedTarget is a move whose to is neither a group of the spec nor the from of
	// another move: a misspelt name, or a for_each key that does not exist.
	CodeMovedTarget = "moved-target"
	// CodeMovedAddress is a from or to that is not a group address.
	CodeMovedAddress = "moved-address"
	// CodeRemovedInSpec is a removed block whose group the spec still declares.
	CodeRemovedInSpec = "removed-in-spec"
	// CodeRemovedMoved is a group both moved and removed.
	CodeRemovedMoved = "removed-moved"
)

var movedSchema = &bodySchema{what: "a moved block", attrs: []string{"from", "to"}}

var removedSchema = &bodySchema{what: "a removed block", attrs: []string{"from", "lapse"}}

// Moved is a moved block: the record of group From is the record of group To from now on.
type Moved struct {
	From, To  string
	DeclRange hcl.Range // the block's header
}

// Removed is a removed block: fleet stops managing group From and forgets its record. With
// Lapse, the group's instances are first set never to renew, so that they leave at expiry.
type Removed struct {
	From      string
	Lapse     bool
	DeclRange hcl.Range
}

// moveBlocks reads the moved and removed blocks and checks them against the groups: it
// needs the groups of every file.
func (l *loader) moveBlocks() {
	f := l.fleet
	for _, b := range l.movedBlocks {
		attrs, _, diags := content(b.Body, movedSchema)
		l.diags = append(l.diags, diags...)
		from, okFrom := l.address(attrs, "from", b, "moved")
		to, okTo := l.address(attrs, "to", b, "moved")
		if okFrom && okTo {
			f.Moved = append(f.Moved, Moved{From: from, To: to, DeclRange: b.DefRange})
		}
	}
	for _, b := range l.removedBlocks {
		attrs, _, diags := content(b.Body, removedSchema)
		l.diags = append(l.diags, diags...)
		from, ok := l.address(attrs, "from", b, "removed")
		r := Removed{From: from, DeclRange: b.DefRange}
		if a := attrs["lapse"]; a != nil {
			v, errs, failed := l.eval(a.Expr, l.ctx, scope{})
			l.diags = append(l.diags, errs...)
			switch {
			case len(errs) > 0 || len(failed) > 0 || !v.IsWhollyKnown():
				ok = false
			case v.IsNull() || v.Type() != cty.Bool:
				l.diags = append(l.diags, newDiag(codeType, rangePtr(a.Expr.Range()), "Wrong type for lapse",
					"lapse is true or false: false forgets the group's instances now (they keep running and being billed until they expire)."))
				ok = false
			default:
				r.Lapse = v.True()
			}
		} else {
			l.diags = append(l.diags, newDiag(codeMissingAttr, rangePtr(b.DefRange), "Missing lapse",
				"A removed block says what becomes of the group's instances: lapse = false forgets them now; they keep running and being billed until they expire."))
			ok = false
		}
		if ok {
			f.Removed = append(f.Removed, r)
		}
	}
	l.diags = append(l.diags, checkMoves(f, l.syntaxErrors)...)
}

// address reads the group address of attribute name of a moved or removed block.
func (l *loader) address(attrs map[string]*hcl.Attribute, name string, b *hcl.Block, kind string) (string, bool) {
	a := attrs[name]
	if a == nil {
		l.diags = append(l.diags, newDiag(codeMissingAttr, rangePtr(b.DefRange), "Missing "+name,
			fmt.Sprintf("A %s block names the group it %s with %s = \"NAME\" (or \"NAME[KEY]\" for a key of a for_each group).", kind, map[string]string{"from": "starts from", "to": "goes to"}[name], name)))
		return "", false
	}
	v, errs, failed := l.eval(a.Expr, l.ctx, scope{})
	l.diags = append(l.diags, errs...)
	if len(errs) > 0 || len(failed) > 0 || !v.IsWhollyKnown() {
		return "", false
	}
	r := a.Expr.Range()
	if v.IsNull() || v.Type() != cty.String {
		l.diags = append(l.diags, newDiag(codeType, &r, "Wrong type for "+name,
			fmt.Sprintf("%s is a group address written as a string: \"web\", or \"web[gz3]\" for a key of a for_each group.", name)))
		return "", false
	}
	s := v.AsString()
	if !ValidAddress(s) {
		l.diags = append(l.diags, newDiag(CodeMovedAddress, &r, "Invalid group address",
			fmt.Sprintf("%q is not a group address. Write the group's name, \"web\", or a key of a for_each group, \"web[gz3]\".", s)))
		return "", false
	}
	return s, true
}

// ValidAddress reports whether s is a group address: NAME or NAME[KEY].
func ValidAddress(s string) bool {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return validName(s)
	}
	return strings.HasSuffix(s, "]") && validName(s[:i]) && validName(s[i+1:len(s)-1])
}

// checkMoves checks the moved and removed blocks against each other and the groups. When a
// file could not be parsed, a destination may be declared in the part that is lost, and
// destinations are not checked.
func checkMoves(f *Fleet, broken bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	declared := map[string]*Group{}
	for _, g := range f.Groups {
		declared[g.Name] = g
	}
	byFrom := map[string]Moved{}
	byTo := map[string]Moved{}
	var keep []Moved
	for _, m := range f.Moved {
		r := m.DeclRange
		switch {
		case m.From == m.To:
			diags = append(diags, newDiag(CodeMovedConflict, &r, "Move to itself",
				fmt.Sprintf("This moved block moves %q to %q, which changes nothing. Remove the block, or name the group it is renamed to in to.", m.From, m.To)))
			continue
		case byFrom[m.From].From != "":
			diags = append(diags, newDiag(CodeMovedConflict, &r, "Two moves from one group",
				fmt.Sprintf("Group %q is already moved to %q at %s. A group moves to one place: remove one of the blocks.", m.From, byFrom[m.From].To, where(byFrom[m.From].DeclRange))))
			continue
		case byTo[m.To].To != "":
			diags = append(diags, newDiag(CodeMovedConflict, &r, "Two moves to one group",
				fmt.Sprintf("Group %q already receives %q at %s. One group's record cannot take two groups' records: remove one of the blocks, or move the other group elsewhere.", m.To, byTo[m.To].From, where(byTo[m.To].DeclRange))))
			continue
		case declared[m.From] != nil:
			diags = append(diags, newDiag(CodeMovedConflict, &r, "Moved group still declared",
				fmt.Sprintf("Group %q is moved to %q but the spec still declares it (at %s). Remove or rename its group block, or remove this moved block.", m.From, m.To, where(declared[m.From].DeclRange))))
			continue
		}
		byFrom[m.From], byTo[m.To] = m, m
		keep = append(keep, m)
	}
	// Cycles: follow each chain from its start; a chain that comes back is a cycle.
	inCycle := map[string]bool{}
	for _, m := range keep {
		if inCycle[m.From] {
			continue
		}
		seen := map[string]bool{m.From: true}
		cur := m.To
		for {
			next, ok := byFrom[cur]
			if !ok {
				break
			}
			if seen[cur] || cur == m.From {
				break
			}
			seen[cur] = true
			cur = next.To
		}
		if cur == m.From {
			names := sortedKeys(seen)
			for _, n := range names {
				inCycle[n] = true
			}
			r := m.DeclRange
			diags = append(diags, newDiag(CodeMovedCycle, &r, "Moves in a cycle",
				fmt.Sprintf("The moved blocks of %s move them into each other in a cycle, so no group's record has a place to end. Remove the block that closes the cycle.", quotedList(names))))
		}
	}
	var moves []Moved
	for _, m := range keep {
		if inCycle[m.From] {
			continue
		}
		if !broken && declared[m.To] == nil && byFrom[m.To].From == "" {
			r := m.DeclRange
			diags = append(diags, newDiag(CodeMovedTarget, &r, "Move to a group not in the spec",
				fmt.Sprintf("This moved block moves %q to %q, but the spec declares no group %q.%s Name a group of the spec (a key of a for_each group as \"web[gz3]\").",
					m.From, m.To, m.To, didYouMean(m.To, groupNames(f)))))
			continue
		}
		moves = append(moves, m)
	}
	f.Moved = moves
	var removes []Removed
	seenRemoved := map[string]bool{}
	for _, rm := range f.Removed {
		r := rm.DeclRange
		switch {
		case declared[rm.From] != nil:
			diags = append(diags, newDiag(CodeRemovedInSpec, &r, "Removed group still declared",
				fmt.Sprintf("Group %q is removed but the spec still declares it (at %s). Remove its group block to stop managing it, or remove this removed block to keep it.", rm.From, where(declared[rm.From].DeclRange))))
			continue
		case byFrom[rm.From].From != "" || byTo[rm.From].To != "":
			diags = append(diags, newDiag(CodeRemovedMoved, &r, "Group both moved and removed",
				fmt.Sprintf("Group %q is removed here and moved by a moved block. Keep one: the moved block to keep managing the instances under a new name, or this block to forget them.", rm.From)))
			continue
		case seenRemoved[rm.From]:
			continue
		}
		seenRemoved[rm.From] = true
		removes = append(removes, rm)
	}
	f.Removed = removes
	return diags
}

func groupNames(f *Fleet) []string {
	out := make([]string, len(f.Groups))
	for i, g := range f.Groups {
		out[i] = g.Name
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MovedFrom returns, for each group address the spec's moves end at, the chain of addresses
// that lead to it, nearest first: a -> b -> c gives c: [b, a].
func (f *Fleet) MovedFrom() map[string][]string {
	byTo := map[string]string{}
	for _, m := range f.Moved {
		byTo[m.To] = m.From
	}
	isFrom := map[string]bool{}
	for _, m := range f.Moved {
		isFrom[m.From] = true
	}
	out := map[string][]string{}
	for _, m := range f.Moved {
		if isFrom[m.To] {
			continue // not the end of its chain
		}
		var chain []string
		seen := map[string]bool{m.To: true}
		for cur := m.To; byTo[cur] != "" && !seen[byTo[cur]]; cur = byTo[cur] {
			seen[byTo[cur]] = true
			chain = append(chain, byTo[cur])
		}
		out[m.To] = chain
	}
	return out
}
