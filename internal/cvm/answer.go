package cvm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// errorName is the shape of the API's error names: dotted words such as
// "InvalidParameter.InvaildZoneId".
var errorName = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$`)

// ErrMalformedAnswer is wrapped by every *Error whose answer could not be understood: not JSON,
// empty, truncated, or of an unexpected shape. Such errors have ClassUnknown: the call may have
// taken effect.
var ErrMalformedAnswer = errors.New("malformed answer")

// Answer holds the members of one answer object of the API, as received (numbers and strings
// undecoded). A style-B answer's members are those of its Response object.
type Answer map[string]json.RawMessage

// Get returns the first of names the answer has, looked up by exact name first, then
// case-insensitively (the documents and the API do not agree on the case of every member).
func (a Answer) Get(names ...string) (json.RawMessage, bool) {
	for _, n := range names {
		if v, ok := a[n]; ok {
			return v, true
		}
	}
	for _, n := range names {
		for k, v := range a {
			if strings.EqualFold(k, n) {
				return v, true
			}
		}
	}
	return nil, false
}

func malformed(action string, status int, format string, args ...any) *Error {
	return &Error{Action: action, HTTPStatus: status, Class: ClassUnknown,
		Err: fmt.Errorf("%w: %s", ErrMalformedAnswer, fmt.Sprintf(format, args...))}
}

// decodeObject decodes b as one JSON object and nothing else (json.Unmarshal refuses data
// after the value). The members stay raw: each is read as the action needs it.
func decodeObject(b []byte) (Answer, error) {
	var f Answer
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("answer is null, not an object")
	}
	return f, nil
}

// parseAnswer turns one HTTP answer into the members of a successful answer or a *Error. It
// understands the legacy envelope {"code":0,"codeDesc":"...","message":"..."} with code as a
// number or a numeric string, and the newer {"Response":{"Error":{"Code","Message"}}}. An
// answer object that carries an API error is returned with the error, its members readable
// (see Transport); an answer that could not be read gives none.
func parseAnswer(action string, status int, body []byte) (Answer, error) {
	ok2xx := status >= 200 && status <= 299
	// Non-2xx: an API error inside the body still tells the most; otherwise the status does.
	statusErr := func() *Error {
		e := &Error{Action: action, HTTPStatus: status, Message: http.StatusText(status)}
		switch {
		case status >= 500, status == http.StatusTooManyRequests:
			e.Class = ClassRetryable
		default:
			e.Class = ClassUnknown
		}
		return e
	}
	if len(body) == 0 {
		if !ok2xx {
			return nil, statusErr()
		}
		return nil, malformed(action, status, "empty body")
	}
	f, err := decodeObject(body)
	if err != nil {
		if !ok2xx {
			return nil, statusErr()
		}
		if body[0] == '<' {
			return nil, malformed(action, status, "HTML or XML instead of JSON")
		}
		return nil, malformed(action, status, "decode JSON: %v", err)
	}
	apiErr, err := envelopeError(action, status, f)
	if err != nil {
		if !ok2xx {
			return nil, statusErr()
		}
		return nil, err
	}
	if apiErr != nil {
		if res, ok := boughtIn(f); ok {
			// An error that names deals or instances contradicts itself. Read as a refusal,
			// it would have the caller buy again what this call may have bought.
			apiErr.Class = ClassUnknown
			apiErr.Err = fmt.Errorf("%w: error %q (code %d) in an answer that names dealIds %s and instances %s: %s",
				ErrMalformedAnswer, apiErr.Name, apiErr.Code, listText(res.DealIDs), listText(res.AllInstanceIDs()), truncate(apiErr.Message, 200))
		}
		if !ok2xx && apiErr.Class == ClassUnknown && (status >= 500 || status == http.StatusTooManyRequests) {
			apiErr.Class = ClassRetryable
		}
		return members(f), apiErr
	}
	if !ok2xx {
		return nil, statusErr()
	}
	if r, ok := f.Get("Response"); ok {
		inner, err := decodeObject(r)
		if err != nil {
			return nil, malformed(action, status, "Response: %v", err)
		}
		return inner, nil
	}
	return f, nil
}

// members returns the members of an answer object: those of its Response object for a
// style-B answer whose Response is an object, else its own.
func members(f Answer) Answer {
	if r, ok := f.Get("Response"); ok {
		if inner, err := decodeObject(r); err == nil {
			return inner
		}
	}
	return f
}

// boughtIn returns the deals and instances an answer names, and whether it names any.
func boughtIn(f Answer) (RunResult, bool) {
	if r, ok := f.Get("Response"); ok {
		inner, err := decodeObject(r)
		if err != nil {
			return RunResult{}, false
		}
		f = inner
	}
	res, err := parseRunResult("", f)
	return res, err == nil
}

// envelopeError returns the API error an answer object carries, nil for success, or a malformed
// answer error when the envelope itself cannot be read.
func envelopeError(action string, status int, f Answer) (*Error, error) {
	if r, ok := f.Get("Response"); ok {
		inner, err := decodeObject(r)
		if err != nil {
			return nil, malformed(action, status, "Response: %v", err)
		}
		ev, ok := inner.Get("Error")
		if !ok || isNull(ev) {
			return nil, nil
		}
		eo, err := decodeObject(ev)
		if err != nil {
			return nil, malformed(action, status, "Response.Error: %v", err)
		}
		name, _ := textOf(eo, "Code")
		msg, _ := textOf(eo, "Message")
		if name == "" {
			name = "UnknownError"
		}
		e := &Error{Action: action, Name: name, Message: msg, HTTPStatus: status}
		if n, err := strconv.Atoi(name); err == nil {
			e.Code, e.Name = n, ""
		}
		e.Class = classify(e.Name, e.Code)
		return e, nil
	}

	rawCode, hasCode := f.Get("code")
	if !hasCode {
		return nil, malformed(action, status, "no code")
	}
	desc, _ := textOf(f, "codeDesc")
	msg, _ := textOf(f, "message")
	e := &Error{Action: action, Name: desc, Message: msg, HTTPStatus: status}
	code, err := intOf(rawCode)
	if err != nil {
		// A code that is a name rather than a number ("InvalidParameter") is still an error.
		var s string
		if json.Unmarshal(rawCode, &s) != nil || !errorName.MatchString(s) {
			return nil, malformed(action, status, "code: %v", err)
		}
		if e.Name == "" || isSuccessDesc(e.Name) {
			e.Name = s
		}
		e.Class = classify(e.Name, 0)
		return e, nil
	}
	e.Code = int(code)
	if e.Code == 0 && isSuccessDesc(desc) {
		return nil, nil
	}
	if isSuccessDesc(e.Name) {
		e.Name = ""
	}
	e.Class = classify(e.Name, e.Code)
	return e, nil
}

func isSuccessDesc(s string) bool {
	return s == "" || strings.EqualFold(s, "Success") || strings.EqualFold(s, "ok")
}

func isNull(r json.RawMessage) bool {
	return len(bytes.TrimSpace(r)) == 0 || string(bytes.TrimSpace(r)) == "null"
}

// stringOf reads a JSON string, number, boolean or null as text.
func stringOf(r json.RawMessage) (string, error) {
	r = bytes.TrimSpace(r)
	if isNull(r) {
		return "", nil
	}
	switch r[0] {
	case '"':
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		return "", fmt.Errorf("got %s, want a string", kindOf(r))
	}
	return string(r), nil
}

func kindOf(r json.RawMessage) string {
	switch r[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "a scalar"
}

// textOf reads a field as text; a missing field is "".
func textOf(f Answer, names ...string) (string, error) {
	r, ok := f.Get(names...)
	if !ok {
		return "", nil
	}
	return stringOf(r)
}

// intOf reads a JSON number or numeric string ("12", "12.0", " 12 ") as an integer; null and ""
// read as 0.
func intOf(r json.RawMessage) (int64, error) {
	s, err := stringOf(r)
	if err != nil {
		return 0, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	fl, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(fl) || math.IsInf(fl, 0) || fl != math.Trunc(fl) || math.Abs(fl) > 1<<53 {
		return 0, fmt.Errorf("%q is not an integer", truncate(s, 40))
	}
	return int64(fl), nil
}

// intField reads a numeric field; missing reads as 0.
func intField(f Answer, names ...string) (int64, error) {
	r, ok := f.Get(names...)
	if !ok {
		return 0, nil
	}
	n, err := intOf(r)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", names[0], err)
	}
	return n, nil
}

// smallInt reads a numeric field that must fit an int32, the range of every count, status,
// zone and size the API sends.
func smallInt(f Answer, names ...string) (int, error) {
	n, err := intField(f, names...)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt32 || n < math.MinInt32 {
		return 0, fmt.Errorf("%s: %d out of range", names[0], n)
	}
	return int(n), nil
}

// stringList reads an array of strings or numbers, or a single such value, as strings.
func stringList(r json.RawMessage) ([]string, error) {
	r = bytes.TrimSpace(r)
	if isNull(r) {
		return nil, nil
	}
	if r[0] != '[' {
		s, err := stringOf(r)
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(r, &items); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, err := stringOf(it)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// listText shows ids for an error text, bounded: a full answer of 100 instances fits.
func listText(ids []string) string {
	return truncate(fmt.Sprint(ids), 4000)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
