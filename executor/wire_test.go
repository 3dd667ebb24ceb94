package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fleet/internal/cvm"
)

// typedClient is what the typed fakes of these tests implement: the actions of a purchase.
type typedClient interface {
	RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error)
	DescribeInstances(ctx context.Context, f cvm.DescribeFilter) ([]cvm.Instance, error)
	InquiryInstancePrice(ctx context.Context, params map[string]string) (int64, error)
}

// wire turns a typed fake into a cvm.Transport that answers as the API would: each result
// of the fake encoded as the members of a successful answer, which cvm.API reads back, and
// each error returned as it is. Wrapped in the decorators and read through cvm.API (over), a
// fake reaches the executor as before, and every decorator sees each attempt.
//
// A DescribeInstances request asks the fake for the request's filter and answers the page of
// the request's offset and limit, with totalCount; a price inquiry passes the inquiry's
// parameters.
func wire(c typedClient) cvm.Transport { return &wired{c} }

type wired struct{ c typedClient }

// over returns the typed layer over t, as the commands build it.
func over(t cvm.Transport) cvm.API { return cvm.API{CVM: t} }

func (w *wired) Call(ctx context.Context, action string, params map[string]string) (cvm.Answer, error) {
	switch action {
	case "RunInstances":
		res, err := w.c.RunInstances(ctx, params)
		if err != nil {
			return nil, err
		}
		return answer(map[string]any{"dealIds": res.DealIDs, "unInstanceIds": res.InstanceIDs})
	case "InquiryInstancePrice":
		price, err := w.c.InquiryInstancePrice(ctx, params)
		if err != nil {
			return nil, err
		}
		return answer(map[string]any{"price": price})
	case "DescribeInstances":
		list, err := w.c.DescribeInstances(ctx, filterOf(params))
		if err != nil {
			return nil, err
		}
		offset, _ := strconv.Atoi(params["offset"])
		limit, _ := strconv.Atoi(params["limit"])
		page := list[min(offset, len(list)):min(offset+limit, len(list))]
		set := make([]map[string]any, len(page))
		for i, in := range page {
			set[i] = instanceMembers(in)
		}
		return answer(map[string]any{"totalCount": len(list), "instanceSet": set})
	}
	return nil, &cvm.Error{Action: action, Class: cvm.ClassParameter, Err: fmt.Errorf("the fake does not serve %s", action)}
}

// filterOf reads the filter of a DescribeInstances request back from its parameters.
func filterOf(params map[string]string) cvm.DescribeFilter {
	var f cvm.DescribeFilter
	type indexed struct {
		n  int
		id string
	}
	var ids []indexed
	for k, v := range params {
		if rest, ok := strings.CutPrefix(k, "instanceIds."); ok {
			n, _ := strconv.Atoi(rest)
			ids = append(ids, indexed{n, v})
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].n < ids[j].n })
	for _, id := range ids {
		f.InstanceIDs = append(f.InstanceIDs, id.id)
	}
	f.SearchWord = params["searchWord"]
	if v, ok := params["projectId"]; ok {
		n, _ := strconv.Atoi(v)
		f.ProjectID = &n
	}
	f.ZoneID, _ = strconv.Atoi(params["zoneId"])
	return f
}

// instanceMembers encodes an instance as an element of instanceSet.
func instanceMembers(in cvm.Instance) map[string]any {
	m := map[string]any{
		"unInstanceId": in.ID, "instanceName": in.Name, "status": in.Status, "zoneId": in.ZoneID,
		"projectId": in.ProjectID, "cpu": in.CPU, "mem": in.Mem, "lanIp": in.LanIP, "unImgId": in.ImageID,
		"createTime": in.CreateTime, "privateIpAddresses": in.PrivateIPs, "wanIpSet": in.PublicIPs,
	}
	switch {
	case in.DeadlineText != "":
		m["deadlineTime"] = in.DeadlineText
	case in.Deadline != nil:
		m["deadlineTime"] = in.Deadline.UTC().Format(time.RFC3339)
	}
	if in.AutoRenew != nil {
		m["autoRenew"] = *in.AutoRenew
	}
	return m
}

// answer returns the members of a successful answer object holding members.
func answer(members map[string]any) (cvm.Answer, error) {
	out := cvm.Answer{"code": json.RawMessage("0"), "codeDesc": json.RawMessage(`"Success"`)}
	for k, v := range members {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out[k] = b
	}
	return out, nil
}
