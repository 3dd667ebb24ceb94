package cvm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"fleet/internal/secret"
)

// RunInstances buys prepaid instances with the legacy RunInstances action. params are its
// action parameters (cpu, mem, imageId, period, clientToken, ...); the client adds the common
// ones. An answer of success that names fewer instances than goodsNum is returned as it is:
// the caller records what was bought and plans the rest anew. An answer of success that
// names no instance at all is returned as an error of ClassUnknown, because a caller that
// recorded it as done would buy the whole call again while its deal may still deliver.
func (a API) RunInstances(ctx context.Context, params map[string]string) (RunResult, error) {
	const action = "RunInstances"
	f, err := a.cvm().Call(ctx, action, params)
	if err != nil {
		return RunResult{}, callErr(err)
	}
	res, err := parseRunResult(action, f)
	if err != nil {
		return RunResult{}, MaskError(err, secret.Values(params)...)
	}
	if want := goodsNum(params); want > 0 && len(res.AllInstanceIDs()) == 0 {
		// The deal ids are kept in the text so that whoever resolves the call can find
		// the order.
		return RunResult{}, MaskError(malformed(action, 200, "success naming no instance id for goodsNum %d (dealIds %s)",
			want, listText(res.DealIDs)), secret.Values(params)...)
	}
	return res, nil
}

// goodsNum returns the number of instances a RunInstances call asks for: its goodsNum, 1 when
// absent as the API defaults, 0 (no check possible) when it is not a number.
func goodsNum(params map[string]string) int {
	v, ok := params["goodsNum"]
	if !ok || v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func parseRunResult(action string, f Answer) (RunResult, error) {
	var res RunResult
	if r, ok := f.Get("dealIds", "DealIdSet"); ok {
		ids, err := stringList(r)
		if err != nil {
			return RunResult{}, malformed(action, 200, "dealIds: %v", err)
		}
		res.DealIDs = ids
	}
	if r, ok := f.Get("unInstanceIds", "InstanceIdSet"); ok {
		m, err := instanceIDMap(r)
		if err != nil {
			return RunResult{}, malformed(action, 200, "unInstanceIds: %v", err)
		}
		res.InstanceIDs = m
	}
	if len(res.DealIDs) == 0 && len(res.AllInstanceIDs()) == 0 {
		// Success without anything to follow: the purchase may exist, so the outcome is
		// not known rather than "nothing bought".
		return RunResult{}, malformed(action, 200, "success without dealIds or unInstanceIds")
	}
	return res, nil
}

// instanceIDMap reads unInstanceIds as an object of deal id to ids (each an array or a single
// id) or as a plain array, which is filed under the key "".
func instanceIDMap(r json.RawMessage) (map[string][]string, error) {
	r = bytes.TrimSpace(r)
	if isNull(r) {
		return nil, nil
	}
	if r[0] != '{' {
		ids, err := stringList(r)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, nil
		}
		return map[string][]string{"": ids}, nil
	}
	obj, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	m := make(map[string][]string, len(obj))
	for deal, v := range obj {
		ids, err := stringList(v)
		if err != nil {
			return nil, fmt.Errorf("deal %s: %w", truncate(deal, 40), err)
		}
		m[deal] = append(m[deal], ids...)
	}
	return m, nil
}

// InquiryInstancePrice asks the price in fen (CNY cents) of the purchase that RunInstances
// would make with params, using the new-purchase variant of the action: instanceType=1 and the
// family (RunInstances' instanceType) in instanceModel.
func (a API) InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error) {
	const action = "InquiryInstancePrice"
	f, err := a.cvm().Call(ctx, action, PriceParams(params))
	if err != nil {
		return 0, callErr(err)
	}
	return parsePrice(action, f)
}

// priceParamNames are the RunInstances parameters that the new-purchase price inquiry takes
// under the same name. zoneId is not in the document's list but the official CLI sends it.
var priceParamNames = []string{
	"cpu", "mem", "period", "storageSize", "storageType", "imageType", "imageId", "goodsNum",
	"bandwidth", "bandwidthType", "rootSize", "zoneId",
}

// PriceParams maps RunInstances parameters to those of the new-purchase InquiryInstancePrice.
// Secrets (password, keyId), the clientToken and the network placement are left out.
func PriceParams(run map[string]string) map[string]string {
	out := map[string]string{"instanceType": "1"}
	for _, k := range priceParamNames {
		if v, ok := run[k]; ok {
			out[k] = v
		}
	}
	if v, ok := run["instanceType"]; ok {
		out["instanceModel"] = v
	}
	if _, ok := out["imageType"]; !ok {
		// RunInstances defaults to a public image; the inquiry requires the type.
		out["imageType"] = "2"
	}
	return out
}

func parsePrice(action string, f Answer) (int64, error) {
	r, ok := f.Get("price")
	if !ok {
		if inner, ok2 := f.Get("data"); ok2 {
			if df, err := decodeObject(inner); err == nil {
				r, ok = df.Get("price")
			}
		}
	}
	if !ok || isNull(r) {
		return 0, malformed(action, 200, "no price")
	}
	p, err := intOf(r)
	if err != nil {
		return 0, malformed(action, 200, "price: %v", err)
	}
	if p < 0 {
		return 0, malformed(action, 200, "negative price %d", p)
	}
	return p, nil
}

// describePageSize is the largest page DescribeInstances returns.
const describePageSize = 100

// maxDescribePages bounds the walk so that an answer whose totalCount never comes true cannot
// keep the client asking forever.
const maxDescribePages = 10000

// DescribeInstances returns every instance that matches f, walking the pages of at most 100
// for the caller, one Call a page. An id list longer than 100 is asked in several requests.
// Each instance appears once, in the order of the answers.
func (a API) DescribeInstances(ctx context.Context, f DescribeFilter) ([]Instance, error) {
	base := map[string]string{}
	if f.SearchWord != "" {
		base["searchWord"] = f.SearchWord
	}
	if f.ProjectID != nil {
		base["projectId"] = strconv.Itoa(*f.ProjectID)
	}
	if f.ZoneID != 0 {
		base["zoneId"] = strconv.Itoa(f.ZoneID)
	}
	var out []Instance
	seen := map[string]bool{}
	add := func(list []Instance) {
		for _, in := range list {
			if !seen[in.ID] {
				seen[in.ID] = true
				out = append(out, in)
			}
		}
	}
	ids := uniqueIDs(f.InstanceIDs)
	if len(f.InstanceIDs) > 0 && len(ids) == 0 {
		return nil, nil // only blank ids: nothing can match, and no filter would match all
	}
	if len(ids) == 0 {
		list, err := a.describeAll(ctx, base)
		if err != nil {
			return nil, callErr(err)
		}
		add(list)
		return out, nil
	}
	for start := 0; start < len(ids); start += describePageSize {
		chunk := ids[start:min(start+describePageSize, len(ids))]
		params := make(map[string]string, len(base)+len(chunk))
		maps.Copy(params, base)
		for i, id := range chunk {
			params["instanceIds."+strconv.Itoa(i)] = id
		}
		list, err := a.describeAll(ctx, params)
		if err != nil {
			return nil, callErr(err)
		}
		add(list)
	}
	return out, nil
}

// uniqueIDs returns ids without blanks and repeats, in their order.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// describeAll walks every page of one DescribeInstances query.
func (a API) describeAll(ctx context.Context, params map[string]string) ([]Instance, error) {
	const action = "DescribeInstances"
	var out []Instance
	offset := 0
	for range maxDescribePages {
		p := make(map[string]string, len(params)+2)
		maps.Copy(p, params)
		p["offset"] = strconv.Itoa(offset)
		p["limit"] = strconv.Itoa(describePageSize)
		f, err := a.cvm().Call(ctx, action, p)
		if err != nil {
			return nil, err
		}
		page, total, hasTotal, err := parseDescribePage(action, f)
		if err != nil {
			return nil, err
		}
		if len(page) > describePageSize {
			return nil, malformed(action, 200, "page of %d instances, asked for at most %d", len(page), describePageSize)
		}
		out = append(out, page...)
		offset += len(page)
		switch {
		case hasTotal && offset >= total:
			return out, nil
		case !hasTotal && len(page) < describePageSize:
			return out, nil
		case len(page) == 0:
			// totalCount promises more but the page is empty: the set changed under the
			// walk. Asking again is the way to a consistent answer.
			return nil, &Error{Action: action, HTTPStatus: 200, Class: ClassRetryable,
				Err: fmt.Errorf("totalCount %d but no instances from offset %d", total, offset)}
		}
	}
	return nil, malformed(action, 200, "more than %d pages", maxDescribePages)
}

func parseDescribePage(action string, f Answer) (list []Instance, total int, hasTotal bool, err error) {
	if r, ok := f.Get("totalCount", "TotalCount"); ok && !isNull(r) {
		n, err := intOf(r)
		if err != nil || n < 0 || n > 1<<31-1 {
			return nil, 0, false, malformed(action, 200, "totalCount: %s", describeErr(err, n))
		}
		total, hasTotal = int(n), true
	}
	r, ok := f.Get("instanceSet", "InstanceSet")
	if !ok || isNull(r) {
		if !hasTotal {
			// Neither a list nor a count: reading it as "no instances" would make every
			// instance asked about look gone.
			return nil, 0, false, malformed(action, 200, "neither instanceSet nor totalCount")
		}
		return nil, total, hasTotal, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(r, &items); err != nil {
		return nil, 0, false, malformed(action, 200, "instanceSet: not an array")
	}
	list = make([]Instance, 0, len(items))
	for i, it := range items {
		in, err := parseInstance(it)
		if err != nil {
			return nil, 0, false, malformed(action, 200, "instanceSet[%d]: %v", i, err)
		}
		list = append(list, in)
	}
	return list, total, hasTotal, nil
}

func describeErr(err error, n int64) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d out of range", n)
}

// parseInstance reads one element of instanceSet. Numbers may come as strings; diskInfo, which
// the document shows both as an object and as an array, is not needed and not read.
func parseInstance(r json.RawMessage) (Instance, error) {
	r = bytes.TrimSpace(r)
	if isNull(r) || r[0] != '{' {
		return Instance{}, fmt.Errorf("not an object")
	}
	f, err := instanceAnswer(r)
	if err != nil {
		return Instance{}, err
	}
	var in Instance
	texts := []struct {
		dst   *string
		names []string
	}{
		{&in.ID, []string{"unInstanceId"}},
		{&in.Name, []string{"instanceName"}},
		{&in.LanIP, []string{"lanIp"}},
		{&in.ImageID, []string{"unImgId"}},
		{&in.CreateTime, []string{"createTime"}},
	}
	for _, t := range texts {
		if *t.dst, err = textOf(f, t.names...); err != nil {
			return Instance{}, fmt.Errorf("%s: %w", t.names[0], err)
		}
	}
	if in.ID == "" {
		return Instance{}, fmt.Errorf("no unInstanceId")
	}
	ints := []struct {
		dst   *int
		names []string
	}{
		{&in.Status, []string{"status"}},
		{&in.ZoneID, []string{"zoneId"}},
		{&in.ProjectID, []string{"projectId"}},
		{&in.CPU, []string{"cpu"}},
		{&in.Mem, []string{"mem"}},
	}
	for _, n := range ints {
		if *n.dst, err = smallInt(f, n.names...); err != nil {
			return Instance{}, err
		}
	}
	if err := in.readAddresses(f); err != nil {
		return Instance{}, err
	}
	in.readDeadline(f)
	in.readAutoRenew(f)
	return in, nil
}

// instanceMembers are the members of an instance that parseInstance reads. Decoding into
// them, rather than into an Answer of every member, skips the dozens an instance has that
// fleet does not read: a refresh of a large fleet allocates a fraction as much. encoding/json
// matches a name that differs only in case too, as Answer.Get does; where an object holds
// the same name in two cases, the last one wins (Answer.Get preferred the exact one).
type instanceMembers struct {
	UnInstanceID       json.RawMessage `json:"unInstanceId"`
	InstanceName       json.RawMessage `json:"instanceName"`
	LanIP              json.RawMessage `json:"lanIp"`
	UnImgID            json.RawMessage `json:"unImgId"`
	CreateTime         json.RawMessage `json:"createTime"`
	Status             json.RawMessage `json:"status"`
	ZoneID             json.RawMessage `json:"zoneId"`
	ProjectID          json.RawMessage `json:"projectId"`
	CPU                json.RawMessage `json:"cpu"`
	Mem                json.RawMessage `json:"mem"`
	PrivateIPAddresses json.RawMessage `json:"privateIpAddresses"`
	WanIPSet           json.RawMessage `json:"wanIpSet"`
	DeadlineTime       json.RawMessage `json:"deadlineTime"`
	AutoRenew          json.RawMessage `json:"autoRenew"`
}

// instanceAnswer decodes one instance object into an Answer of the members parseInstance
// reads, under their documented names.
func instanceAnswer(r json.RawMessage) (Answer, error) {
	var m instanceMembers
	if err := json.Unmarshal(r, &m); err != nil {
		return nil, err
	}
	f := make(Answer, 16)
	for _, kv := range [...]struct {
		name string
		v    json.RawMessage
	}{
		{"unInstanceId", m.UnInstanceID}, {"instanceName", m.InstanceName}, {"lanIp", m.LanIP}, {"unImgId", m.UnImgID},
		{"createTime", m.CreateTime}, {"status", m.Status}, {"zoneId", m.ZoneID}, {"projectId", m.ProjectID},
		{"cpu", m.CPU}, {"mem", m.Mem}, {"privateIpAddresses", m.PrivateIPAddresses}, {"wanIpSet", m.WanIPSet},
		{"deadlineTime", m.DeadlineTime}, {"autoRenew", m.AutoRenew},
	} {
		if kv.v != nil {
			f[kv.name] = kv.v
		}
	}
	return f, nil
}

// readAddresses reads the private addresses (lanIp, then privateIpAddresses) and the public
// ones (wanIpSet), each once, in the order of the answer.
func (in *Instance) readAddresses(f Answer) error {
	var private []string
	if in.LanIP != "" {
		private = append(private, in.LanIP)
	}
	if r, ok := f.Get("privateIpAddresses", "PrivateIpAddresses"); ok {
		list, err := stringList(r)
		if err != nil {
			return fmt.Errorf("privateIpAddresses: %w", err)
		}
		private = append(private, list...)
	}
	in.PrivateIPs = uniqueNonBlank(private)
	if r, ok := f.Get("wanIpSet", "WanIpSet"); ok {
		list, err := stringList(r)
		if err != nil {
			return fmt.Errorf("wanIpSet: %w", err)
		}
		in.PublicIPs = uniqueNonBlank(list)
	}
	return nil
}

// uniqueNonBlank returns the trimmed, non-blank values of list, each once, in order; nil
// when none.
func uniqueNonBlank(list []string) []string {
	var out []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// apiTime is the form of the times of the legacy API's answers, in Beijing time.
const apiTime = "2006-01-02 15:04:05"

// beijing is the zone of the legacy API's times.
var beijing = time.FixedZone("CST", 8*3600)

// postpaidDeadline is the deadlineTime of an instance that has none.
const postpaidDeadline = "0000-00-00 00:00:00"

// readDeadline reads deadlineTime in the form the documents give (YYYY-MM-DD hh:mm:ss, Beijing
// time) or in RFC 3339. Any other text, or a date that does not exist, leaves Deadline nil
// with a note: a guessed expiry could renew too late or let an instance lapse.
func (in *Instance) readDeadline(f Answer) {
	r, ok := f.Get("deadlineTime", "DeadlineTime")
	if !ok || isNull(r) {
		return
	}
	s, err := stringOf(r)
	if err != nil {
		in.DeadlineText = truncate(string(bytes.TrimSpace(r)), 80)
		in.Notes = append(in.Notes, fmt.Sprintf("deadlineTime %s is not a date (%v): the deadline is left unknown", in.DeadlineText, err))
		return
	}
	in.DeadlineText = s
	t := strings.TrimSpace(s)
	if t == "" || t == postpaidDeadline {
		return
	}
	d, err := time.ParseInLocation(apiTime, t, beijing)
	if err != nil {
		d, err = time.Parse(time.RFC3339, t)
	}
	if err != nil {
		in.Notes = append(in.Notes, fmt.Sprintf("deadlineTime %q is not in the form YYYY-MM-DD hh:mm:ss: the deadline is left unknown", truncate(s, 80)))
		return
	}
	d = d.UTC()
	in.Deadline = &d
}

// readAutoRenew reads the autoRenew flag; a value other than 0, 1 or 2 leaves it nil with a
// note.
func (in *Instance) readAutoRenew(f Answer) {
	r, ok := f.Get("autoRenew", "AutoRenew")
	if !ok || isNull(r) {
		return
	}
	if s, err := stringOf(r); err == nil && strings.TrimSpace(s) == "" {
		return
	}
	n, err := intOf(r)
	if err != nil || n < 0 || n > 2 {
		in.Notes = append(in.Notes, fmt.Sprintf("autoRenew %s is not 0, 1 or 2: the renew flag is left unknown", truncate(string(bytes.TrimSpace(r)), 40)))
		return
	}
	v := int(n)
	in.AutoRenew = &v
}
