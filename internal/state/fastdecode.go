package state

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"
)

// fastDecode decodes a state file written in the canonical form, without reflection: a state
// of 200,000 instances is read several times faster than by encoding/json. It is only a fast
// path: it accepts a subset of what the strict encoding/json decoding accepts (exact field
// names, no duplicate or unknown fields, no nulls where a value is expected, integers written
// plainly) and gives the same result for it; for anything else it reports false and the
// caller decodes with encoding/json, which also explains what is wrong. FuzzFastDecode holds
// the two to that.
func fastDecode(data []byte) (*State, bool) {
	p := &parser{data: data}
	s, ok := p.state()
	if !ok {
		return nil, false
	}
	p.ws()
	if p.pos != len(p.data) {
		return nil, false
	}
	return s, true
}

// readStateFile decodes and checks the state file f, named path, and closes it. A file in
// the canonical form is decoded as it is read, through a window of a few hundred kilobytes,
// so that its bytes and its decoded form are never in memory together; any other file (or
// one with a single value too long for the window) is read whole and decoded by decodeState.
func readStateFile(path string, f *os.File) (*State, error) {
	defer f.Close()
	return decodeStream(path, f, func() ([]byte, error) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return readAll(f)
	})
}

// decodeStream decodes and checks a state as it reads it from r through the window; when
// the state is not in the canonical form it decodes again, strictly, the whole bytes that
// whole returns. name names the state in errors.
func decodeStream(name string, r io.Reader, whole func() ([]byte, error)) (*State, error) {
	p := &parser{r: r, data: make([]byte, 0, windowSize), low: windowLow}
	s, ok := p.whole()
	if p.err != nil {
		return nil, fmt.Errorf("read state: %w", p.err)
	}
	if ok {
		return checkState(name, s)
	}
	p = nil
	data, err := whole()
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return decodeState(name, data)
}

// readAll reads the rest of f into a slice of the file's size.
func readAll(f *os.File) ([]byte, error) {
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Size() < 1<<40 {
		size = int(fi.Size())
	}
	data := make([]byte, 0, size+512)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// The window of a streamed decode: windowSize bytes, refilled between values whenever fewer
// than windowLow remain, so that any value of up to windowLow bytes is whole in it.
const (
	windowSize = 256 << 10
	windowLow  = 64 << 10
)

type parser struct {
	data []byte
	pos  int
	// r, when set, is what data is a window on: the parser refills data from it at the
	// start of every object member and array element, where nothing holds a position in data.
	r      io.Reader
	shared map[string]string // see common

	low int   // refill when fewer bytes than this remain in the window
	eof bool  // r has nothing more
	err error // the first error of r other than io.EOF
}

// refill moves what remains of the window to its start and reads from r until the window
// is full, when fewer than p.low bytes remain.
func (p *parser) refill() {
	if p.r == nil || p.eof || len(p.data)-p.pos >= p.low {
		return
	}
	n := copy(p.data[:cap(p.data)], p.data[p.pos:])
	p.data, p.pos = p.data[:n], 0
	for len(p.data) < cap(p.data) {
		m, err := p.r.Read(p.data[len(p.data):cap(p.data)])
		p.data = p.data[:len(p.data)+m]
		if err != nil {
			if err != io.EOF {
				p.err = err
			}
			p.eof = true
			return
		}
	}
}

// whole parses a state from r and checks that nothing but blanks follows it. A window that
// ends inside a value makes the parse fail, never succeed: every value needs the delimiter
// that follows it.
func (p *parser) whole() (*State, bool) {
	p.refill()
	s, ok := p.state()
	for ok {
		p.ws()
		if p.pos < len(p.data) {
			return nil, false
		}
		if p.eof {
			return s, p.err == nil
		}
		p.refill()
	}
	return nil, false
}

func (p *parser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// eat skips blanks and consumes c if it comes next.
func (p *parser) eat(c byte) bool {
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// null consumes a null literal if it comes next.
func (p *parser) null() bool { return p.literal("null") }

// literal consumes word (null, true) when it comes next.
func (p *parser) literal(word string) bool {
	p.ws()
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return true
	}
	return false
}

// object parses an object, calling member for each key with the parser placed before the
// value. Members check for duplicate keys themselves.
func (p *parser) object(member func(key string) bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	for {
		p.refill()
		key, ok := p.common()
		if !ok || !p.eat(':') || !member(key) {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

// fields tracks the fields of a struct already seen, to refuse duplicates.
type fields uint32

// first reports whether field i is seen for the first time, and marks it.
func (f *fields) first(i uint) bool {
	if *f&(1<<i) != 0 {
		return false
	}
	*f |= 1 << i
	return true
}

// array parses an array, calling elem for each element.
func (p *parser) array(elem func() bool) bool {
	if !p.eat('[') {
		return false
	}
	if p.eat(']') {
		return true
	}
	for {
		p.refill()
		if !elem() {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat(']')
	}
}

// str parses a string. Strings with escapes are handed to encoding/json; others must be
// valid UTF-8 without control characters, which encoding/json keeps as they are.
func (p *parser) str() (string, bool) { return p.strOf(false) }

// common parses a string that is likely to recur (a key, a parameter, a status): equal
// strings share their bytes, while the table of shared strings has room.
func (p *parser) common() (string, bool) { return p.strOf(true) }

// maxShared bounds the table of strings shared by common.
const maxShared = 4096

func (p *parser) strOf(share bool) (string, bool) {
	p.ws()
	if p.pos >= len(p.data) || p.data[p.pos] != '"' {
		return "", false
	}
	start := p.pos + 1
	ascii := true
	for i := start; i < len(p.data); i++ {
		c := p.data[i]
		switch {
		case c == '"':
			raw := p.data[start:i]
			if !ascii && !utf8.Valid(raw) {
				return "", false
			}
			p.pos = i + 1
			if !share {
				return string(raw), true
			}
			if s, ok := p.shared[string(raw)]; ok {
				return s, true
			}
			s := string(raw)
			if len(p.shared) < maxShared {
				if p.shared == nil {
					p.shared = map[string]string{}
				}
				p.shared[s] = s
			}
			return s, true
		case c == '\\':
			return p.escaped()
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// escaped parses a string with escapes through encoding/json.
func (p *parser) escaped() (string, bool) {
	i := p.pos + 1
	for i < len(p.data) {
		switch p.data[i] {
		case '\\':
			i += 2
			continue
		case '"':
			var s string
			if json.Unmarshal(p.data[p.pos:i+1], &s) != nil {
				return "", false
			}
			p.pos = i + 1
			return s, true
		}
		i++
	}
	return "", false
}

// int parses an integer written plainly: an optional minus, then digits without a leading
// zero, within the range of int.
func (p *parser) int() (int, bool) {
	p.ws()
	neg := false
	if p.pos < len(p.data) && p.data[p.pos] == '-' {
		neg = true
		p.pos++
	}
	u, ok := p.digits(1 << 63)
	if !ok || !neg && u > 1<<63-1 {
		return 0, false
	}
	if neg {
		return int(-u), true
	}
	return int(u), true
}

// uint parses a non-negative integer within the range of uint64.
func (p *parser) uint() (uint64, bool) {
	p.ws()
	return p.digits(1<<64 - 1)
}

// digits parses a run of digits (no leading zero, not followed by a fraction or exponent)
// whose value is at most limit.
func (p *parser) digits(limit uint64) (uint64, bool) {
	start := p.pos
	var v uint64
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		d := uint64(p.data[p.pos] - '0')
		if v > (limit-d)/10 {
			return 0, false
		}
		v = v*10 + d
		p.pos++
	}
	n := p.pos - start
	if n == 0 || n > 1 && p.data[start] == '0' {
		return 0, false
	}
	if p.pos < len(p.data) {
		switch p.data[p.pos] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return v, true
}

// time parses a time as time.Time's UnmarshalJSON does.
func (p *parser) time(t *time.Time) bool {
	p.ws()
	start := p.pos
	if _, ok := p.str(); !ok {
		return false
	}
	return t.UnmarshalJSON(p.data[start:p.pos]) == nil
}

// strs parses an array of strings; null is left to encoding/json.
func (p *parser) strs() ([]string, bool) {
	out := []string{}
	ok := p.array(func() bool {
		s, ok := p.str()
		out = append(out, s)
		return ok
	})
	return out, ok
}

func (p *parser) state() (*State, bool) {
	s := &State{}
	var seen fields
	ok := p.object(func(key string) bool {
		var ok bool
		switch key {
		case "format_version":
			s.FormatVersion, ok = p.str()
			ok = ok && seen.first(0)
		case "lineage":
			s.Lineage, ok = p.str()
			ok = ok && seen.first(1)
		case "serial":
			s.Serial, ok = p.uint()
			ok = ok && seen.first(2)
		case "fleet":
			s.Fleet, ok = p.str()
			ok = ok && seen.first(3)
		case "region":
			s.Region, ok = p.str()
			ok = ok && seen.first(4)
		case "groups":
			s.Groups = map[string]*Group{}
			ok = seen.first(5) && p.object(func(name string) bool {
				if _, dup := s.Groups[name]; dup {
					return false
				}
				g, ok := p.group()
				s.Groups[name] = g
				return ok
			})
		}
		return ok
	})
	return s, ok
}

func (p *parser) group() (*Group, bool) {
	g := &Group{}
	var seen fields
	ok := p.object(func(key string) bool {
		switch key {
		case "batches":
			g.Batches = []*Batch{}
			return seen.first(0) && p.array(func() bool {
				b, ok := p.batch()
				g.Batches = append(g.Batches, b)
				return ok
			})
		case "instances":
			g.Instances = []*Instance{}
			return seen.first(1) && p.array(func() bool {
				in, ok := p.instance()
				g.Instances = append(g.Instances, in)
				return ok
			})
		}
		return false
	})
	return g, ok
}

func (p *parser) batch() (*Batch, bool) {
	b := &Batch{}
	var seen fields
	ok := p.object(func(key string) bool {
		var ok bool
		var i uint
		switch key {
		case "seq":
			i = 0
			b.Seq, ok = p.int()
		case "kind":
			i = 1
			b.Kind, ok = p.common()
		case "client_token":
			i = 2
			b.ClientToken, ok = p.str()
		case "goods_num":
			i = 3
			b.GoodsNum, ok = p.int()
		case "params":
			i = 4
			b.Params = map[string]string{}
			ok = p.object(func(k string) bool {
				if _, dup := b.Params[k]; dup {
					return false
				}
				v, ok := p.common()
				b.Params[k] = v
				return ok
			})
		case "status":
			i = 5
			b.Status, ok = p.common()
		case "deal_ids":
			i = 6
			b.DealIDs, ok = p.strs()
		case "instance_ids":
			i = 7
			b.InstanceIDs, ok = p.strs()
		case "error":
			i = 8
			if p.null() {
				ok = true
				break
			}
			b.Error, ok = p.batchError()
		case "attempts":
			i = 9
			b.Attempts, ok = p.int()
		case "created_at":
			i = 10
			ok = p.time(&b.CreatedAt)
		case "updated_at":
			i = 11
			ok = p.time(&b.UpdatedAt)
		case "adopted":
			// Written only when true; anything else is left to encoding/json.
			i = 12
			b.Adopted, ok = true, p.literal("true")
		case "marker":
			i = 13
			b.Marker, ok = p.str()
		default:
			return false
		}
		return ok && seen.first(i)
	})
	return b, ok
}

func (p *parser) batchError() (*BatchError, bool) {
	e := &BatchError{}
	var seen fields
	ok := p.object(func(k string) bool {
		var ok bool
		var i uint
		switch k {
		case "code":
			i = 0
			e.Code, ok = p.int()
		case "name":
			i = 1
			e.Name, ok = p.str()
		case "message":
			i = 2
			e.Message, ok = p.str()
		case "class":
			i = 3
			e.Class, ok = p.str()
		default:
			return false
		}
		return ok && seen.first(i)
	})
	return e, ok
}

func (p *parser) instance() (*Instance, bool) {
	in := &Instance{}
	var seen fields
	ok := p.object(func(key string) bool {
		var ok bool
		var i uint
		switch key {
		case "id":
			i = 0
			in.ID, ok = p.str()
		case "batch":
			i = 1
			in.Batch, ok = p.int()
		case "status":
			i = 2
			in.Status, ok = p.int()
		case "status_at":
			i = 3
			if p.null() {
				ok = true
				break
			}
			var t time.Time
			ok = p.time(&t)
			in.StatusAt = &t
		case "zone_id":
			i = 4
			in.ZoneID, ok = p.int()
		case "private_ips":
			// null is left to encoding/json, as for every list.
			i = 5
			in.PrivateIPs, ok = p.strs()
		case "public_ips":
			i = 6
			in.PublicIPs, ok = p.strs()
		case "deadline":
			i = 7
			if p.null() {
				ok = true
				break
			}
			var t time.Time
			ok = p.time(&t)
			in.Deadline = &t
		case "auto_renew":
			i = 8
			if p.null() {
				ok = true
				break
			}
			var n int
			n, ok = p.int()
			in.AutoRenew = &n
		case "renewing":
			i = 9
			if p.null() {
				ok = true
				break
			}
			in.Renewing, ok = p.renewing()
		default:
			return false
		}
		return ok && seen.first(i)
	})
	return in, ok
}

func (p *parser) renewing() (*Renewing, bool) {
	r := &Renewing{}
	var seen fields
	ok := p.object(func(key string) bool {
		var ok bool
		var i uint
		switch key {
		case "from":
			i = 0
			ok = p.time(&r.From)
		case "period":
			i = 1
			r.Period, ok = p.int()
		case "at":
			i = 2
			ok = p.time(&r.At)
		default:
			return false
		}
		return ok && seen.first(i)
	})
	return r, ok
}
