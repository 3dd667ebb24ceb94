package state

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// encodeState returns the canonical bytes of s: JSON indented by two spaces, the keys of
// every object sorted, batches by seq and instances by id (s is normalized), optional
// fields left out when empty as their tags say, and a trailing newline. It is what
// encoding/json would print for s re-encoded through a generic map (a test holds it to
// that), written directly because the state can hold hundreds of thousands of records.
func encodeState(s *State) ([]byte, error) {
	e := &encoder{buf: make([]byte, 0, 256+len(s.Groups)*1500)}
	e.open('{')
	e.key("fleet")
	e.str(s.Fleet)
	e.key("format_version")
	e.str(s.FormatVersion)
	e.key("groups")
	if len(s.Groups) == 0 {
		e.raw("{}")
	} else {
		e.open('{')
		names := make([]string, 0, len(s.Groups))
		for name := range s.Groups {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			e.key(name)
			e.group(s.Groups[name])
		}
		e.close('}')
	}
	e.key("lineage")
	e.str(s.Lineage)
	e.key("region")
	e.str(s.Region)
	e.key("serial")
	e.buf = strconv.AppendUint(e.buf, s.Serial, 10)
	e.close('}')
	e.buf = append(e.buf, '\n')
	return e.buf, e.err
}

// encoder writes indented JSON. Each value written after key or inside an array is placed
// by the bookkeeping in key and item; open and close handle nesting.
type encoder struct {
	buf   []byte
	depth int
	first bool // the next member is the first of its object or array
	err   error
}

func (e *encoder) raw(s string) { e.buf = append(e.buf, s...) }

func (e *encoder) newline() {
	e.buf = append(e.buf, '\n')
	for range e.depth {
		e.buf = append(e.buf, ' ', ' ')
	}
}

// sep starts a member: a comma after the previous one, then a new indented line.
func (e *encoder) sep() {
	if !e.first {
		e.buf = append(e.buf, ',')
	}
	e.first = false
	e.newline()
}

func (e *encoder) open(c byte) {
	e.buf = append(e.buf, c)
	e.depth++
	e.first = true
}

func (e *encoder) close(c byte) {
	e.depth--
	e.newline()
	e.buf = append(e.buf, c)
	e.first = false
}

func (e *encoder) key(k string) {
	e.sep()
	e.str(k)
	e.buf = append(e.buf, ':', ' ')
}

func (e *encoder) item() { e.sep() }

func (e *encoder) int(n int) { e.buf = strconv.AppendInt(e.buf, int64(n), 10) }

func (e *encoder) strs(list []string) {
	if len(list) == 0 {
		e.raw("[]")
		return
	}
	e.open('[')
	for _, s := range list {
		e.item()
		e.str(s)
	}
	e.close(']')
}

func (e *encoder) group(g *Group) {
	if g == nil {
		e.raw("null")
		return
	}
	e.open('{')
	e.key("batches")
	if len(g.Batches) == 0 {
		e.raw("[]")
	} else {
		e.open('[')
		for _, b := range g.Batches {
			e.item()
			e.batch(b)
		}
		e.close(']')
	}
	e.key("instances")
	if len(g.Instances) == 0 {
		e.raw("[]")
	} else {
		e.open('[')
		for _, in := range g.Instances {
			e.item()
			e.instance(in)
		}
		e.close(']')
	}
	e.close('}')
}

func (e *encoder) batch(b *Batch) {
	if b == nil {
		e.raw("null")
		return
	}
	e.open('{')
	if b.Adopted {
		e.key("adopted")
		e.raw("true")
	}
	if b.Attempts != 0 {
		e.key("attempts")
		e.int(b.Attempts)
	}
	if b.ClientToken != "" {
		e.key("client_token")
		e.str(b.ClientToken)
	}
	e.key("created_at")
	e.time(b.CreatedAt.MarshalJSON())
	e.key("deal_ids")
	e.strs(b.DealIDs)
	if b.Error != nil {
		e.key("error")
		e.batchError(b.Error)
	}
	e.key("goods_num")
	e.int(b.GoodsNum)
	e.key("instance_ids")
	e.strs(b.InstanceIDs)
	e.key("kind")
	e.str(b.Kind)
	if b.Marker != "" {
		e.key("marker")
		e.str(b.Marker)
	}
	if len(b.Params) > 0 {
		e.key("params")
		e.open('{')
		keys := make([]string, 0, len(b.Params))
		for k := range b.Params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e.key(k)
			e.str(b.Params[k])
		}
		e.close('}')
	}
	e.key("seq")
	e.int(b.Seq)
	e.key("status")
	e.str(b.Status)
	e.key("updated_at")
	e.time(b.UpdatedAt.MarshalJSON())
	e.close('}')
}

func (e *encoder) batchError(be *BatchError) {
	e.open('{')
	if be.Class != "" {
		e.key("class")
		e.str(be.Class)
	}
	if be.Code != 0 {
		e.key("code")
		e.int(be.Code)
	}
	e.key("message")
	e.str(be.Message)
	if be.Name != "" {
		e.key("name")
		e.str(be.Name)
	}
	e.close('}')
}

func (e *encoder) instance(in *Instance) {
	if in == nil {
		e.raw("null")
		return
	}
	e.open('{')
	if in.AutoRenew != nil {
		e.key("auto_renew")
		e.int(*in.AutoRenew)
	}
	e.key("batch")
	e.int(in.Batch)
	if in.Deadline != nil {
		e.key("deadline")
		e.time(in.Deadline.MarshalJSON())
	}
	e.key("id")
	e.str(in.ID)
	if len(in.PrivateIPs) > 0 {
		e.key("private_ips")
		e.strs(in.PrivateIPs)
	}
	if len(in.PublicIPs) > 0 {
		e.key("public_ips")
		e.strs(in.PublicIPs)
	}
	if r := in.Renewing; r != nil {
		e.key("renewing")
		e.open('{')
		e.key("at")
		e.time(r.At.MarshalJSON())
		e.key("from")
		e.time(r.From.MarshalJSON())
		e.key("period")
		e.int(r.Period)
		e.close('}')
	}
	e.key("status")
	e.int(in.Status)
	if in.StatusAt != nil {
		e.key("status_at")
		e.time(in.StatusAt.MarshalJSON())
	}
	if in.ZoneID != 0 {
		e.key("zone_id")
		e.int(in.ZoneID)
	}
	e.close('}')
}

// time writes the JSON form of a time (a quoted RFC 3339 string); a time that has none (a
// year outside 0..9999) is an error, as it is for encoding/json.
func (e *encoder) time(b []byte, err error) {
	if err != nil {
		if e.err == nil {
			e.err = err
		}
		e.raw(`null`)
		return
	}
	e.buf = append(e.buf, b...)
}

const hexDigits = "0123456789abcdef"

// str writes s as a JSON string, escaped as encoding/json does without HTML escaping:
// quotes, backslashes and control characters escaped, invalid UTF-8 replaced by U+FFFD, and
// U+2028 and U+2029 escaped.
func (e *encoder) str(s string) {
	b := append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.buf = append(b, '"')
}
