package planner

import (
	"strings"
	"unicode/utf8"

	"fleet/spec"
)

// Instance-name markers. Every new RunInstances call names its instances after the group's
// instance_name followed by a space and the call's marker: "fl-" and MarkerHashLen characters
// of [a-z0-9], a pure function of the call (see Marker). The cloud keeps the name with the
// instances, so a purchase whose answer was lost can be found again by its marker long after
// the API has forgotten the call's client token.
const (
	MarkerPrefix   = "fl-"
	MarkerHashLen  = 10
	MaxNameRunes   = 60 // the longest instanceName the API accepts, in characters
	paramName      = "instanceName"
	markerSep      = " "
	markerLen      = len(MarkerPrefix) + MarkerHashLen
	markedNameRoom = MaxNameRunes - len(markerSep) - markerLen // runes left for the name itself
)

// Marker returns the marker of a call: "fl-" followed by MarkerHashLen characters of
// [a-z0-9] hashed from the fleet name, region, project, group name, the call's seq and its
// parameters except the client token and the instance name (which carry the marker
// themselves). Calls of one fleet never share a marker: their group and seq differ.
func Marker(fleet, region string, project int, group string, seq int, params map[string]string) string {
	var h callHasher
	h.start("fleet-marker-v1", fleet, region, project, group, seq)
	for _, k := range spec.SortedKeys(params) {
		if k == paramToken || k == paramName {
			continue
		}
		h.field(k)
		h.field(params[k])
	}
	return MarkerPrefix + h.sum(MarkerHashLen)
}

// MarkName returns name followed by a space and marker, cutting name (by runes, trailing
// spaces dropped) so that the whole keeps within MaxNameRunes characters. An empty name gives
// the marker alone.
func MarkName(name, marker string) string {
	if utf8.RuneCountInString(name) > markedNameRoom {
		n := 0
		for i := range name {
			if n == markedNameRoom {
				name = name[:i]
				break
			}
			n++
		}
	}
	name = strings.TrimRight(name, " ")
	if name == "" {
		return marker
	}
	return name + markerSep + marker
}

// SplitMarker splits an instance name made by MarkName into the name and the marker. ok is
// false when the name does not end with something of a marker's form.
func SplitMarker(name string) (base, marker string, ok bool) {
	if len(name) < markerLen {
		return name, "", false
	}
	tail := name[len(name)-markerLen:]
	if !isMarker(tail) {
		return name, "", false
	}
	head := name[:len(name)-markerLen]
	switch {
	case head == "":
		return "", tail, true
	case strings.HasSuffix(head, markerSep):
		return strings.TrimSuffix(head, markerSep), tail, true
	}
	return name, "", false
}

// isMarker reports whether s has the form of a marker.
func isMarker(s string) bool {
	h, ok := strings.CutPrefix(s, MarkerPrefix)
	if !ok || len(h) != MarkerHashLen {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// HasMarker reports whether an instance name, as the cloud reports it, carries marker as a
// whole word: preceded by the start or a space and followed by the end or a character that
// is not a letter or digit. DescribeInstances' searchWord matches any part of a name, so
// every instance it returns must pass this test before it is taken for the call's.
func HasMarker(name, marker string) bool {
	if marker == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(name[from:], marker)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(marker)
		before := i == 0 || name[i-1] == ' '
		after := end == len(name) || !isAlnum(name[end])
		if before && after {
			return true
		}
		from = i + 1
	}
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// CallMarker returns the marker the call's instance name carries, or "" when it carries
// none: a call planned before markers existed, or a name that merely looks marked. The marker
// is checked against the one the call's own parameters give, so a user's name that happens to
// end like a marker is never taken for one.
func (p *Plan) CallMarker(c *Call) string {
	_, m, ok := SplitMarker(c.Params[paramName])
	if !ok || m != Marker(p.Fleet, p.Region, p.ProjectID, c.Group, c.Seq, c.Params) {
		return ""
	}
	return m
}

// AdoptOrResume reports whether the group has a resumed call whose instances can be looked
// up by their marker: apply then adopts the instances it finds, or resumes the call when it
// finds none. Its Action stays ActionResume.
func (p *Plan) AdoptOrResume(g *GroupPlan) bool {
	for _, c := range g.Calls {
		if c.Resume && p.GroupCallMarker(g, c) != "" {
			return true
		}
	}
	return false
}

// GroupCallMarker is CallMarker for call c of group g: it reads the group's name from g
// when c leaves its Group empty, as a plan put together by hand may.
func (p *Plan) GroupCallMarker(g *GroupPlan, c *Call) string {
	return p.CallMarker(withGroup(c, g.Name))
}

// withGroup returns c with its Group set to name when it was left empty.
func withGroup(c *Call, name string) *Call {
	if c.Group != "" {
		return c
	}
	cc := *c
	cc.Group = name
	return &cc
}

// unmarkedName returns the instance name of bought parameters without its marker, for the
// configuration diff: when the name was cut to make room for the marker and the desired
// name starts with what is left, the desired name is returned, so that neither the marker
// nor the cut shows as a change.
func unmarkedName(bought, desired string) string {
	base, m, ok := SplitMarker(bought)
	switch {
	case !ok:
		return bought
	case MarkName(desired, m) == bought:
		return desired
	}
	return base
}
