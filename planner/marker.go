package planner

import (
	"crypto/sha256"
	"strings"
	"unicode/utf8"

	"fleet/internal/state"
	"fleet/spec"
)

// Instance-name markers. Every new RunInstances call names its instances after the group's
// instance_name followed by a space and the call's marker (see Marker). The cloud keeps the
// name with the instances, so a purchase whose answer was lost can be found again by its
// marker long after the API has forgotten the call's client token.
//
// A marker is "fl-", the fleet's tag (FleetTagLen characters hashed from the fleet name and
// region, common to every instance of the fleet), "-" and MarkerHashLen characters hashed
// from the call. One DescribeInstances search for "fl-" and the tag (FleetSearchWord) lists
// every instance of the fleet; the whole marker finds the instances of one call.
//
// Markers made before the fleet's tag existed ("fl-" and MarkerHashLen characters, see
// MarkerV1) are still recognised in the names and batches recorded with them.
const (
	MarkerPrefix  = "fl-"
	FleetTagLen   = 6
	MarkerHashLen = 10
	MaxNameRunes  = 60 // the longest instanceName the API accepts, in characters
	paramName     = "instanceName"
	markerSep     = " "
	tagSep        = "-"
	markerV1Len   = len(MarkerPrefix) + MarkerHashLen
	markerLen     = len(MarkerPrefix) + FleetTagLen + len(tagSep) + MarkerHashLen
)

// FleetTag returns the part of its markers common to every instance of a fleet:
// FleetTagLen characters of [a-z2-7] hashed from the fleet name and the region alone, so that
// every group, call and project of the fleet shares it.
func FleetTag(fleet, region string) string {
	h := callHasher{h: sha256.New()}
	h.field("fleet-tag-v1")
	h.field(fleet)
	h.field(region)
	return h.sum(FleetTagLen)
}

// FleetSearchWord returns the DescribeInstances searchWord that lists every instance of a
// fleet: "fl-" followed by the fleet's tag. The API matches any part of a name, so what it
// lists must still pass FleetMarkerOf.
func FleetSearchWord(fleet, region string) string {
	return MarkerPrefix + FleetTag(fleet, region)
}

// Marker returns the marker of a new call: "fl-", the fleet's tag (FleetTag), "-" and
// MarkerHashLen characters of [a-z2-7] hashed from the fleet name, region, project, group
// name, the call's seq and its parameters except the client token and the instance name
// (which carry the marker themselves). Calls of one fleet never share a marker: their group
// and seq differ. A lost state planned again gives the same calls the same markers.
func Marker(fleet, region string, project int, group string, seq int, params map[string]string) string {
	return MarkerPrefix + FleetTag(fleet, region) + tagSep + callHash("fleet-marker-v2", fleet, region, project, group, seq, params)
}

// MarkerV1 returns the marker calls were named with before markers carried the fleet's tag:
// "fl-" followed by MarkerHashLen characters hashed from the same inputs as Marker. It is only
// used to recognise the marker of a batch recorded with one.
func MarkerV1(fleet, region string, project int, group string, seq int, params map[string]string) string {
	return MarkerPrefix + callHash("fleet-marker-v1", fleet, region, project, group, seq, params)
}

// callHash returns MarkerHashLen characters of the hash of a call's identity and its
// parameters except the client token and the instance name, in the given domain.
func callHash(domain, fleet, region string, project int, group string, seq int, params map[string]string) string {
	var h callHasher
	h.start(domain, fleet, region, project, group, seq)
	for _, k := range spec.SortedKeys(params) {
		if k == paramToken || k == paramName {
			continue
		}
		h.field(k)
		h.field(params[k])
	}
	return h.sum(MarkerHashLen)
}

// MarkName returns name followed by a space and marker, cutting name (by runes, trailing
// spaces dropped) so that the whole keeps within MaxNameRunes characters. An empty name gives
// the marker alone.
func MarkName(name, marker string) string {
	room := max(0, MaxNameRunes-len(markerSep)-utf8.RuneCountInString(marker))
	if utf8.RuneCountInString(name) > room {
		n := 0
		for i := range name {
			if n == room {
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

// SplitMarker splits an instance name made by MarkName into the name and the marker, of
// either form. ok is false when the name does not end with something of a marker's form.
func SplitMarker(name string) (base, marker string, ok bool) {
	for _, n := range []int{markerLen, markerV1Len} {
		if len(name) < n {
			continue
		}
		tail := name[len(name)-n:]
		if !isMarker(tail) {
			continue
		}
		head := name[:len(name)-n]
		switch {
		case head == "":
			return "", tail, true
		case strings.HasSuffix(head, markerSep):
			return strings.TrimSuffix(head, markerSep), tail, true
		}
	}
	return name, "", false
}

// isMarker reports whether s has the form of a marker: the current form or the one before
// markers carried the fleet's tag.
func isMarker(s string) bool {
	_, ok := MarkerTag(s)
	return ok || isMarkerV1(s)
}

// isMarkerV1 reports whether s has the form of a marker without the fleet's tag.
func isMarkerV1(s string) bool {
	h, ok := strings.CutPrefix(s, MarkerPrefix)
	return ok && len(h) == MarkerHashLen && isHashChars(h)
}

// MarkerTag returns the fleet's tag of a marker of the current form. ok is false for
// anything else, a marker made before markers carried the fleet's tag included.
func MarkerTag(marker string) (tag string, ok bool) {
	h, ok := strings.CutPrefix(marker, MarkerPrefix)
	if !ok || len(h) != FleetTagLen+len(tagSep)+MarkerHashLen || h[FleetTagLen:FleetTagLen+len(tagSep)] != tagSep {
		return "", false
	}
	tag, sum := h[:FleetTagLen], h[FleetTagLen+len(tagSep):]
	if !isHashChars(tag) || !isHashChars(sum) {
		return "", false
	}
	return tag, true
}

// isHashChars reports whether s holds only characters of tokenEncoding's alphabet.
func isHashChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
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

// FleetMarkerOf finds in an instance name, as the cloud reports it, a marker of the current
// form whose fleet's tag is tag, carried as a whole word (as HasMarker tests it). It returns
// the first such marker and the name without it (and without the space that joined them); ok
// is false when the name carries none. A name that merely contains the tag, or a marker of
// another fleet, carries none.
func FleetMarkerOf(name, tag string) (marker, base string, ok bool) {
	if len(tag) != FleetTagLen {
		return "", name, false
	}
	word := MarkerPrefix + tag + tagSep
	for from := 0; ; {
		i := strings.Index(name[from:], word)
		if i < 0 {
			return "", name, false
		}
		i += from
		end := i + markerLen
		if end <= len(name) && (i == 0 || name[i-1] == ' ') && (end == len(name) || !isAlnum(name[end])) {
			if m := name[i:end]; isMarker(m) {
				head := strings.TrimSuffix(name[:i], markerSep)
				tail := name[end:]
				if head == "" {
					tail = strings.TrimPrefix(tail, markerSep)
				}
				return m, head + tail, true
			}
		}
		from = i + 1
	}
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// derivedMarker returns the marker that the instance name among a call's parameters carries,
// when it is the marker those parameters give the call (of either form), or "". It recognises
// the marker of a call planned or recorded without its Marker; a user's name that happens to
// end like a marker is never taken for one.
func derivedMarker(fleet, region string, project int, group string, seq int, params map[string]string) string {
	_, m, ok := SplitMarker(params[paramName])
	if !ok {
		return ""
	}
	if m == Marker(fleet, region, project, group, seq, params) || m == MarkerV1(fleet, region, project, group, seq, params) {
		return m
	}
	return ""
}

// BatchMarker returns the marker a recorded batch of group named its instances with: the
// one it recorded (Batch.Marker) or, for a batch recorded before batches recorded their
// marker, the marker its instance name parameter carries when it is the one its recorded
// parameters give (see MarkerV1). It returns "" for a batch whose instances carry no marker.
func BatchMarker(fleet, region string, project int, group string, b *state.Batch) string {
	if b == nil {
		return ""
	}
	if b.Marker != "" {
		return b.Marker
	}
	return derivedMarker(fleet, region, project, group, b.Seq, b.Params)
}

// CallMarker returns the marker the call's instances are named with: the call's Marker, set
// by the planner for a new call and copied from the recorded batch for a resumed one, so that
// renaming the group never changes it. For a call without one (a plan put together by hand,
// or a saved plan written before calls carried their marker) it is the marker of the call's
// instance name when that is the one the call's own parameters give, or "" (a call planned
// before markers existed, or a name that merely looks marked).
func (p *Plan) CallMarker(c *Call) string {
	if c.Marker != "" {
		return c.Marker
	}
	return derivedMarker(p.Fleet, p.Region, p.ProjectID, c.Group, c.Seq, c.Params)
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
