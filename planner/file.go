package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"fleet/internal/secret"
	"fleet/internal/state"
	"fleet/spec"
)

// FileFormatVersion is the version of the saved plan format this build writes and reads.
const FileFormatVersion = "1.2"

// Errors of saved plans; DecodeFile and Stale wrap them, callers test with errors.Is.
var (
	ErrCorruptPlan  = errors.New("plan file is corrupt or truncated")
	ErrPlanVersion  = errors.New("unsupported plan file version")
	ErrStale        = errors.New("saved plan is stale")
	ErrNotApplyable = errors.New("plan is not applyable")
)

// File is a saved plan: an applyable plan and what it was computed from, so that apply can
// refuse it when the state, a spec file or a variable has changed since.
type File struct {
	Plan         *Plan
	StateLineage string
	StateSerial  uint64
	StateVersion string            // the store's identity of the state's snapshot (state.State.Version)
	SpecFiles    map[string]string // file base name -> hex sha256 of its bytes
	Variables    map[string]string // variable name -> spec.VarValue.Hash
}

// NewFile returns the saved form of plan p computed from the spec files and variable values
// given (variable values only by hash). It refuses a plan that is not applyable.
func NewFile(p *Plan, files []spec.File, vars []spec.VarValue) (*File, error) {
	if !p.Applyable() {
		return nil, fmt.Errorf("save plan: %w", ErrNotApplyable)
	}
	return &File{
		Plan:         p,
		StateLineage: p.StateLineage,
		StateSerial:  p.StateSerial,
		StateVersion: p.StateVersion,
		SpecFiles:    hashFiles(files),
		Variables:    hashVars(vars),
	}, nil
}

// hashFiles returns the hex sha256 of each spec file by its fileKey.
func hashFiles(files []spec.File) map[string]string {
	m := make(map[string]string, len(files))
	for _, f := range files {
		sum := sha256.Sum256(f.Src)
		m[fileKey(f.Name)] = hex.EncodeToString(sum[:])
	}
	return m
}

// hashVars returns the hash of each variable value by the variable's name.
func hashVars(vars []spec.VarValue) map[string]string {
	m := make(map[string]string, len(vars))
	for _, v := range vars {
		m[v.Name] = v.Hash
	}
	return m
}

// fileKey is the name under which a spec file is recorded: its base name, so that a plan made
// in one directory can be applied from another.
func fileKey(name string) string {
	return path.Base(strings.ReplaceAll(name, "\\", "/"))
}

// StaleError names everything that changed since a plan was saved. It matches ErrStale.
type StaleError struct {
	Changes []string // one sentence each, sorted: state, then spec files, then variables
}

// Error lists every change in one line.
func (e *StaleError) Error() string {
	return "saved plan is stale: " + strings.Join(e.Changes, "; ")
}

// Is makes errors.Is(err, ErrStale) true for a StaleError.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// Stale compares the saved plan with the current state (nil when there is none), spec files
// and variable values, and returns a *StaleError naming every difference, or nil.
func (pf *File) Stale(st *state.State, files []spec.File, vars []spec.VarValue) error {
	var changes []string
	lineage, serial, version := "", uint64(0), ""
	if st != nil {
		lineage, serial, version = st.Lineage, st.Serial, st.Version
	}
	switch {
	case lineage != "" && pf.StateLineage == "":
		changes = append(changes, fmt.Sprintf("the state was replaced (lineage %q; there was no state when the plan was made)", lineage))
	case lineage == "" && pf.StateLineage != "":
		changes = append(changes, fmt.Sprintf("the state is missing (plan made against lineage %q, serial %d)", pf.StateLineage, pf.StateSerial))
	case lineage != pf.StateLineage:
		changes = append(changes, fmt.Sprintf("the state was replaced (lineage %q, plan made against %q)", lineage, pf.StateLineage))
	case serial != pf.StateSerial:
		changes = append(changes, fmt.Sprintf("the state changed (serial %d, plan made against serial %d)", serial, pf.StateSerial))
	case version != pf.StateVersion:
		changes = append(changes, fmt.Sprintf("the state changed (version %s, plan made against %s: records of an interrupted apply were added since)", version, pf.StateVersion))
	}
	changes = append(changes, diffHashes("spec file", pf.SpecFiles, hashFiles(files))...)
	changes = append(changes, diffHashes("variable", pf.Variables, hashVars(vars))...)
	if len(changes) == 0 {
		return nil
	}
	return &StaleError{Changes: changes}
}

// diffHashes names the keys added, removed or changed between a saved and a current map.
func diffHashes(what string, saved, now map[string]string) []string {
	var out []string
	for _, k := range spec.SortedKeys(saved) {
		v, ok := now[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s %s was removed", what, k))
		case v != saved[k]:
			out = append(out, fmt.Sprintf("%s %s changed", what, k))
		}
	}
	for _, k := range spec.SortedKeys(now) {
		if _, ok := saved[k]; !ok {
			out = append(out, fmt.Sprintf("%s %s was added", what, k))
		}
	}
	return out
}

// The JSON form of a saved plan. The envelope holds the version, a checksum and the body; the
// checksum is the sha256 of the body's bytes exactly as written.
type fileEnvelope struct {
	FormatVersion string          `json:"format_version"`
	Checksum      string          `json:"checksum"`
	Body          json.RawMessage `json:"plan"`
}

type fileBody struct {
	Fleet       string            `json:"fleet"`
	Region      string            `json:"region"`
	ProjectID   int               `json:"project_id"`
	State       fileState         `json:"state"`
	SpecFiles   map[string]string `json:"spec_files"`
	Variables   map[string]string `json:"variables"`
	Groups      []fileGroup       `json:"groups"`
	Diagnostics []fileDiag        `json:"diagnostics"`
	Summary     fileSummary       `json:"summary"`
	// At is the time the plan was made at; absent in a plan saved before plans had one.
	At *time.Time `json:"at,omitempty"`
}

type fileState struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
	Version string `json:"version"`
}

type fileGroup struct {
	Name       string     `json:"name"`
	Action     Action     `json:"action"`
	Desired    int        `json:"desired"`
	Current    int        `json:"current"`
	Pending    int        `json:"pending"`
	Purchase   int        `json:"purchase"`
	ConfigDiff string     `json:"config_diff"`
	Calls      []fileCall `json:"calls"`
	MovedFrom  string     `json:"moved_from,omitempty"`
	// Config and InstanceIDs are GroupPlan's, absent in a plan saved before they were.
	Config      map[string]string `json:"config,omitempty"`
	InstanceIDs []string          `json:"instance_ids,omitempty"`
	// The keeping of the group's instances (format 1.2).
	RenewMode  string        `json:"renew_mode,omitempty"`
	Renewals   []fileRenewal `json:"renewals,omitempty"`
	Flags      []fileFlag    `json:"flags,omitempty"`
	NewFlag    *int          `json:"new_flag,omitempty"`
	Lapse      []string      `json:"lapse,omitempty"`
	TakenBack  []string      `json:"taken_back,omitempty"`
	Unresolved []string      `json:"unresolved,omitempty"`
	Calendar   *fileCalendar `json:"calendar,omitempty"`
}

type fileCalendar struct {
	Earliest *time.Time `json:"earliest,omitempty"`
	Expired  int        `json:"expired"`
	Within7  int        `json:"within_7"`
	Within30 int        `json:"within_30"`
	Within90 int        `json:"within_90"`
	Unknown  int        `json:"unknown"`
}

// toFile is the saved form of a calendar; nil for an empty one.
func (c Calendar) toFile() *fileCalendar {
	if c == (Calendar{}) {
		return nil
	}
	return &fileCalendar{Earliest: c.Earliest, Expired: c.Expired, Within7: c.Within7, Within30: c.Within30, Within90: c.Within90, Unknown: c.Unknown}
}

// calendar is the calendar of its saved form.
func (f *fileCalendar) calendar() Calendar {
	if f == nil {
		return Calendar{}
	}
	c := Calendar{Expired: f.Expired, Within7: f.Within7, Within30: f.Within30, Within90: f.Within90, Unknown: f.Unknown}
	if f.Earliest != nil {
		t := f.Earliest.UTC()
		c.Earliest = &t
	}
	return c
}

type fileRenewal struct {
	InstanceID string    `json:"instance_id"`
	Deadline   time.Time `json:"deadline"`
	Period     int       `json:"period"`
	Expired    bool      `json:"expired,omitempty"`
	Resume     bool      `json:"resume,omitempty"`
}

type fileFlag struct {
	Flag        int      `json:"flag"`
	InstanceIDs []string `json:"instance_ids"`
}

type fileCall struct {
	Seq         int               `json:"seq"`
	ClientToken string            `json:"client_token"`
	GoodsNum    int               `json:"goods_num"`
	Params      map[string]string `json:"params"`
	Resume      bool              `json:"resume"`
	Marker      string            `json:"marker,omitempty"`
}

type fileDiag struct {
	Severity string     `json:"severity"`
	Code     string     `json:"code"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *fileRange `json:"range"`
}

type fileRange struct {
	Filename string  `json:"filename"`
	Start    filePos `json:"start"`
	End      filePos `json:"end"`
}

type filePos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type fileSummary struct {
	Purchase       int    `json:"purchase"`
	Calls          int    `json:"calls"`
	InstanceMonths int    `json:"instance_months"`
	PriceFen       *int64 `json:"price_fen"`
}

// EncodeFile returns the bytes of a saved plan: deterministic, indented JSON ending in a
// newline. It refuses a plan that is not applyable, and any secret not masked.
func EncodeFile(pf *File) ([]byte, error) {
	if pf == nil || pf.Plan == nil {
		return nil, errors.New("encode plan file: no plan")
	}
	p := pf.Plan
	if !p.Applyable() {
		return nil, fmt.Errorf("encode plan file: %w", ErrNotApplyable)
	}
	body := fileBody{
		Fleet:       p.Fleet,
		Region:      p.Region,
		ProjectID:   p.ProjectID,
		State:       fileState{Lineage: pf.StateLineage, Serial: pf.StateSerial, Version: pf.StateVersion},
		SpecFiles:   nonNil(pf.SpecFiles),
		Variables:   nonNil(pf.Variables),
		Groups:      make([]fileGroup, 0, len(p.Groups)),
		Diagnostics: make([]fileDiag, 0, len(p.Diagnostics)),
		Summary: fileSummary{Purchase: p.Summary.Purchase, Calls: p.Summary.Calls,
			InstanceMonths: p.Summary.InstanceMonths, PriceFen: p.Summary.PriceFen},
	}
	if !p.At.IsZero() {
		at := p.At.UTC()
		body.At = &at
	}
	for _, g := range p.Groups {
		fg := fileGroup{Name: g.Name, Action: g.Action, Desired: g.Desired, Current: g.Current,
			Pending: g.Pending, Purchase: g.Purchase, ConfigDiff: g.ConfigDiff, Calls: make([]fileCall, 0, len(g.Calls)), MovedFrom: g.MovedFrom,
			Config: g.Config, InstanceIDs: g.InstanceIDs,
			RenewMode: g.RenewMode, NewFlag: g.NewFlag, Lapse: g.Lapse, TakenBack: g.TakenBack, Unresolved: g.Unresolved, Calendar: g.Calendar.toFile()}
		for _, r := range g.Renewals {
			fg.Renewals = append(fg.Renewals, fileRenewal{InstanceID: r.InstanceID, Deadline: r.Deadline.UTC(), Period: r.Period, Expired: r.Expired, Resume: r.Resume})
		}
		for _, f := range g.Flags {
			fg.Flags = append(fg.Flags, fileFlag{Flag: f.Flag, InstanceIDs: f.InstanceIDs})
		}
		if err := checkKeep(g); err != nil {
			return nil, fmt.Errorf("encode plan file: group %s: %w", g.Name, err)
		}
		for _, c := range g.Calls {
			if err := checkCall(c); err != nil {
				return nil, fmt.Errorf("encode plan file: group %s: %w", g.Name, err)
			}
			fg.Calls = append(fg.Calls, fileCall{Seq: c.Seq, ClientToken: c.ClientToken, GoodsNum: c.GoodsNum,
				Params: nonNil(c.Params), Resume: c.Resume, Marker: p.GroupCallMarker(g, c)})
		}
		body.Groups = append(body.Groups, fg)
	}
	for _, d := range p.Diagnostics {
		fd := fileDiag{Severity: severityName(d.Severity), Code: spec.Code(d), Summary: d.Summary, Detail: d.Detail}
		if r := d.Subject; r != nil {
			fd.Range = &fileRange{Filename: r.Filename,
				Start: filePos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:   filePos{r.End.Line, r.End.Column, r.End.Byte}}
		}
		body.Diagnostics = append(body.Diagnostics, fd)
	}
	b, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode plan file: %w", err)
	}
	sum := sha256.Sum256(b)
	var out bytes.Buffer
	out.Grow(len(b) + 128)
	out.WriteString("{\n\"format_version\": " + strconv.Quote(FileFormatVersion) + ",\n")
	out.WriteString("\"checksum\": \"sha256:" + hex.EncodeToString(sum[:]) + "\",\n")
	out.WriteString("\"plan\": ")
	out.Write(b)
	out.WriteString("\n}\n")
	return out.Bytes(), nil
}

// DecodeFile reads a saved plan strictly: unknown fields, a future format version, a
// checksum that does not match (a truncated or altered file) and an inconsistent plan are
// errors.
func DecodeFile(b []byte) (*File, error) {
	var sniff struct {
		FormatVersion string `json:"format_version"`
	}
	if err := json.Unmarshal(b, &sniff); err != nil {
		return nil, fmt.Errorf("decode plan file: %w: %v", ErrCorruptPlan, err)
	}
	if err := checkVersion(sniff.FormatVersion); err != nil {
		return nil, fmt.Errorf("decode plan file: %w", err)
	}
	var env fileEnvelope
	if err := strictUnmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("decode plan file: %w: %v", ErrCorruptPlan, err)
	}
	sum := sha256.Sum256(env.Body)
	if env.Checksum != "sha256:"+hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("decode plan file: %w: checksum does not match the content", ErrCorruptPlan)
	}
	var body fileBody
	if err := strictUnmarshal(env.Body, &body); err != nil {
		return nil, fmt.Errorf("decode plan file: %w: %v", ErrCorruptPlan, err)
	}
	pf, err := body.file()
	if err != nil {
		return nil, fmt.Errorf("decode plan file: %w: %v", ErrCorruptPlan, err)
	}
	return pf, nil
}

// checkVersion accepts the versions this build reads: 1.x from 1.1.
func checkVersion(v string) error {
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	switch {
	case v == "" || err != nil:
		return fmt.Errorf("%w: format_version %q", ErrCorruptPlan, v)
	case n > 1:
		return fmt.Errorf("%w: format_version %s is newer than this fleet reads (%s); upgrade fleet", ErrPlanVersion, v, FileFormatVersion)
	case n < 1:
		return fmt.Errorf("%w: format_version %s", ErrPlanVersion, v)
	case v == "1.0":
		// 1.0 recorded the state's journal count, not its version: nothing to compare.
		return fmt.Errorf("%w: format_version 1.0 was written by an older fleet; run fleet plan again", ErrPlanVersion)
	}
	return nil
}

// strictUnmarshal decodes the one JSON value of b into v, refusing unknown fields and
// anything after the value.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the end of the plan")
	}
	return nil
}

// file rebuilds a File from its JSON body, checking what the checksum cannot: that the plan
// is consistent and safe to apply.
func (b *fileBody) file() (*File, error) {
	p := &Plan{Fleet: b.Fleet, Region: b.Region, ProjectID: b.ProjectID,
		StateLineage: b.State.Lineage, StateSerial: b.State.Serial, StateVersion: b.State.Version,
		Groups: make([]*GroupPlan, 0, len(b.Groups))}
	if p.Fleet == "" {
		return nil, errors.New("no fleet name")
	}
	for i, fg := range b.Groups {
		if fg.Name == "" {
			return nil, fmt.Errorf("group %d has no name", i)
		}
		if i > 0 && fg.Name <= b.Groups[i-1].Name {
			return nil, fmt.Errorf("group %s is out of order", fg.Name)
		}
		switch fg.Action {
		case ActionPurchase, ActionNone, ActionResume, ActionRenew, ActionFlag, ActionLapse, ActionOrphan, ActionMove, ActionRemove:
		default:
			return nil, fmt.Errorf("group %s: action %q cannot be applied", fg.Name, fg.Action)
		}
		switch {
		case fg.Action == ActionMove && fg.MovedFrom == "":
			return nil, fmt.Errorf("group %s: a move without moved_from", fg.Name)
		case fg.MovedFrom == fg.Name:
			return nil, fmt.Errorf("group %s: moved from itself", fg.Name)
		case fg.MovedFrom != "" && fg.Action == ActionOrphan:
			return nil, fmt.Errorf("group %s: a move to a group not in the spec", fg.Name)
		case (fg.Action == ActionRemove || fg.Action == ActionMove) && len(fg.Calls) > 0:
			return nil, fmt.Errorf("group %s: action %q with calls", fg.Name, fg.Action)
		case fg.Action == ActionRemove && fg.MovedFrom != "":
			return nil, fmt.Errorf("group %s: removed and moved", fg.Name)
		}
		g := &GroupPlan{Name: fg.Name, Action: fg.Action, Desired: fg.Desired, Current: fg.Current,
			Pending: fg.Pending, Purchase: fg.Purchase, ConfigDiff: fg.ConfigDiff, MovedFrom: fg.MovedFrom,
			Config: fg.Config, InstanceIDs: fg.InstanceIDs,
			RenewMode: fg.RenewMode, NewFlag: fg.NewFlag, Lapse: fg.Lapse, TakenBack: fg.TakenBack, Unresolved: fg.Unresolved, Calendar: fg.Calendar.calendar()}
		for _, fr := range fg.Renewals {
			g.Renewals = append(g.Renewals, &Renewal{InstanceID: fr.InstanceID, Deadline: fr.Deadline.UTC(), Period: fr.Period, Expired: fr.Expired, Resume: fr.Resume})
		}
		for _, ff := range fg.Flags {
			g.Flags = append(g.Flags, &FlagChange{Flag: ff.Flag, InstanceIDs: ff.InstanceIDs})
		}
		if err := checkKeep(g); err != nil {
			return nil, fmt.Errorf("group %s: %w", fg.Name, err)
		}
		for _, fc := range fg.Calls {
			c := &Call{Group: fg.Name, Seq: fc.Seq, ClientToken: fc.ClientToken,
				GoodsNum: fc.GoodsNum, Params: fc.Params, Resume: fc.Resume, Marker: fc.Marker}
			// A plan saved before calls carried their marker: recognise it in the name.
			c.Marker = p.CallMarker(c)
			if err := checkCall(c); err != nil {
				return nil, fmt.Errorf("group %s: %w", fg.Name, err)
			}
			g.Calls = append(g.Calls, c)
		}
		p.Groups = append(p.Groups, g)
	}
	for _, fd := range b.Diagnostics {
		d := &hcl.Diagnostic{Summary: fd.Summary, Detail: fd.Detail}
		switch fd.Severity {
		case "warning":
			d.Severity = hcl.DiagWarning
		default:
			return nil, fmt.Errorf("diagnostic %q: severity %q in a saved plan", fd.Summary, fd.Severity)
		}
		if r := fd.Range; r != nil {
			d.Subject = &hcl.Range{Filename: r.Filename,
				Start: hcl.Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
				End:   hcl.Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte}}
		}
		if fd.Code != "" {
			spec.WithCode(fd.Code, d)
		}
		p.Diagnostics = append(p.Diagnostics, d)
	}
	if b.At != nil {
		p.At = b.At.UTC()
	}
	p.Summary = Summary{Purchase: b.Summary.Purchase, Calls: b.Summary.Calls,
		InstanceMonths: b.Summary.InstanceMonths, PriceFen: b.Summary.PriceFen}
	got := summarize(p.Groups)
	if got.Purchase != p.Summary.Purchase || got.Calls != p.Summary.Calls || got.InstanceMonths != p.Summary.InstanceMonths {
		return nil, errors.New("summary disagrees with the calls")
	}
	p.Summary.Moved, p.Summary.Removed = got.Moved, got.Removed
	p.Summary.Renew, p.Summary.RenewMonths, p.Summary.Flags, p.Summary.Lapse = got.Renew, got.RenewMonths, got.Flags, got.Lapse
	p.Summary.Calendar = got.Calendar
	sources := map[string]bool{}
	for _, g := range p.Groups {
		if g.MovedFrom == "" {
			continue
		}
		if sources[g.MovedFrom] {
			return nil, fmt.Errorf("group %s: two groups moved from %s", g.Name, g.MovedFrom)
		}
		sources[g.MovedFrom] = true
	}
	return &File{Plan: p, StateLineage: b.State.Lineage, StateSerial: b.State.Serial,
		StateVersion: b.State.Version, SpecFiles: b.SpecFiles, Variables: b.Variables}, nil
}

// checkCall reports a call that must not be sent or saved: a malformed token, a goods count
// out of range, parameters that disagree with the call, or a secret in clear.
func checkCall(c *Call) error {
	switch {
	case !ValidToken(c.ClientToken):
		return fmt.Errorf("call %d: client token %q is not 1 to %d characters of [a-z0-9-]", c.Seq, c.ClientToken, MaxTokenLen)
	case c.GoodsNum < 1 || c.GoodsNum > MaxGoodsPerCall:
		return fmt.Errorf("call %d: %d instances, want 1 to %d", c.Seq, c.GoodsNum, MaxGoodsPerCall)
	case c.Params[paramToken] != c.ClientToken || c.Params[paramGoodsNum] != strconv.Itoa(c.GoodsNum):
		return fmt.Errorf("call %d: parameters disagree with its token or instance count", c.Seq)
	case c.Marker != "" && (!isMarker(c.Marker) || !HasMarker(c.Params[paramName], c.Marker)):
		return fmt.Errorf("call %d: marker %q is not a marker its instance name carries", c.Seq, c.Marker)
	}
	for k, v := range c.Params {
		if secret.IsParam(k) && !secret.IsHash(v) {
			return fmt.Errorf("call %d: parameter %s is not masked", c.Seq, k)
		}
	}
	return nil
}

// checkKeep reports renewals or flags of a group that must not be applied: an instance id
// that is not one, a period out of range, a deadline missing, an unknown flag, an instance
// renewed or flagged twice.
func checkKeep(g *GroupPlan) error {
	seen := map[string]bool{}
	for _, r := range g.Renewals {
		switch {
		case !validInstanceID(r.InstanceID):
			return fmt.Errorf("renewal of %q: not an instance id", r.InstanceID)
		case r.Period < 1 || r.Period > spec.MaxRenewPeriod:
			return fmt.Errorf("renewal of %s: %d months, want 1 to %d", r.InstanceID, r.Period, spec.MaxRenewPeriod)
		case r.Deadline.IsZero():
			return fmt.Errorf("renewal of %s: no deadline", r.InstanceID)
		case seen[r.InstanceID]:
			return fmt.Errorf("instance %s renewed twice", r.InstanceID)
		}
		seen[r.InstanceID] = true
	}
	flagged := map[string]bool{}
	for _, f := range g.Flags {
		if f.Flag < state.AutoRenewNotify || f.Flag > state.AutoRenewNever || len(f.InstanceIDs) == 0 {
			return fmt.Errorf("renew flag %d for %d instances", f.Flag, len(f.InstanceIDs))
		}
		for _, id := range f.InstanceIDs {
			if !validInstanceID(id) || flagged[id] {
				return fmt.Errorf("renew flag of %q: not an instance id, or set twice", id)
			}
			flagged[id] = true
		}
	}
	if g.NewFlag != nil && (*g.NewFlag < state.AutoRenewNotify || *g.NewFlag > state.AutoRenewNever) {
		return fmt.Errorf("renew flag %d for new instances", *g.NewFlag)
	}
	return nil
}

// validInstanceID reports whether id looks like an instance id: ins- and lowercase letters or
// digits.
func validInstanceID(id string) bool {
	rest, ok := strings.CutPrefix(id, "ins-")
	if !ok || rest == "" || len(rest) > 32 {
		return false
	}
	for _, c := range rest {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// severityName returns the JSON spelling of a diagnostic severity.
func severityName(s hcl.DiagnosticSeverity) string {
	switch s {
	case hcl.DiagError:
		return "error"
	case hcl.DiagWarning:
		return "warning"
	}
	return "invalid"
}

// nonNil returns m, or an empty map for nil, so that JSON shows {} rather than null.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
