package cvm

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRenewInstanceAnswers(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		deal  string
		class Class // of the error, when deal is ""
		code  int
	}{
		{"document example", `{"codeDesc":"Success","message":"","code":0,"dealId":"2790804"}`, "2790804", 0, 0},
		{"deal as number", `{"code":0,"dealId":2790804}`, "2790804", 0, 0},
		{"no deal", `{"code":0,"message":"ok"}`, "", ClassUnknown, 0},
		{"empty deal", `{"code":0,"dealId":""}`, "", ClassUnknown, 0},
		{"deal as object", `{"code":0,"dealId":{"id":1}}`, "", ClassUnknown, 0},
		{"balance", `{"code":5300,"codeDesc":"OperationConstraints.AccountBalanceNotEnough","message":"poor"}`, "", ClassBalance, 5300},
		{"status", `{"code":5100,"codeDesc":"OperationConstraints.InvaildInstanceStatus","message":"released"}`, "", ClassState, 5100},
		{"not found", `{"code":5000,"codeDesc":"InvalidParameter.ResourceNotFound","message":"no such"}`, "", ClassState, 5000},
		{"shared", `{"code":4000,"codeDesc":"NotSupport.SharedInstance"}`, "", ClassState, 4000},
		{"qualification", `{"code":4000,"codeDesc":"PermissionDenied.UserQualificationAuditFailed"}`, "", ClassAuth, 4000},
		{"busy", `{"code":6000,"codeDesc":"OperationFail.SystemBusy","message":"busy"}`, "", ClassRetryable, 6000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, constant(200, tt.body))
			deal, err := API{CVM: f.client(t, nil)}.RenewInstance(context.Background(), "ins-abcdefgh", 3)
			if tt.deal != "" {
				if err != nil || deal != tt.deal {
					t.Fatalf("got %q, %v; want deal %q", deal, err, tt.deal)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) || e.Class != tt.class || e.Code != tt.code || deal != "" {
					t.Fatalf("got %q, %v; want an error of class %v, code %d", deal, err, tt.class, tt.code)
				}
				if tt.code == 0 && !errors.Is(err, ErrMalformedAnswer) {
					t.Errorf("error %v: want a malformed answer (the renewal may have been made)", err)
				}
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			form := reqs[0].form
			if form.Get("Action") != "RenewInstance" || form.Get("instanceId") != "ins-abcdefgh" || form.Get("period") != "3" {
				t.Errorf("sent %v", form)
			}
			if _, ok := form["clientToken"]; ok {
				t.Errorf("sent a clientToken, which RenewInstance does not take")
			}
		})
	}
}

// Renewals the API would refuse are refused before anything is sent.
func TestRenewalChecksBeforeSending(t *testing.T) {
	f := newFake(t, constant(200, `{"code":0,"dealId":"1","price":1}`))
	api := API{CVM: f.client(t, nil)}
	for _, tc := range []struct {
		id     string
		period int
	}{{"", 1}, {"ins-a", 0}, {"ins-a", 37}, {"ins-a", -1}} {
		_, err := api.RenewInstance(context.Background(), tc.id, tc.period)
		if ClassOf(err) != ClassParameter || !Refused(err) {
			t.Errorf("RenewInstance(%q, %d): %v, want a parameter error that shows nothing was sent", tc.id, tc.period, err)
		}
		if _, err := api.RenewalPrice(context.Background(), tc.id, tc.period); ClassOf(err) != ClassParameter {
			t.Errorf("RenewalPrice(%q, %d): %v, want a parameter error", tc.id, tc.period, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestRenewalPrice(t *testing.T) {
	f := newFake(t, constant(200, `{"code":0,"message":"","price":"1085"}`))
	got, err := API{CVM: f.client(t, nil)}.RenewalPrice(context.Background(), "ins-abcdefgh", 12)
	if err != nil || got != 1085 {
		t.Fatalf("got %d, %v; want 1085", got, err)
	}
	form := f.requests()[0].form
	want := map[string]string{"Action": "InquiryInstancePrice", "instanceType": "1", "instanceId": "ins-abcdefgh", "period": "12"}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("sent %s=%q, want %q", k, form.Get(k), v)
		}
	}
	for _, k := range []string{"cpu", "mem", "imageId", "instanceModel", "goodsNum"} {
		if _, ok := form[k]; ok {
			t.Errorf("sent %s, a parameter of the new-purchase variant", k)
		}
	}

	f = newFake(t, constant(200, `{"code":5000,"codeDesc":"InvalidParameter.ResourceNotFound","message":"no such instance"}`))
	if _, err := (API{CVM: f.client(t, nil)}).RenewalPrice(context.Background(), "ins-gonegone", 1); ClassOf(err) != ClassState {
		t.Errorf("price of an unknown instance: %v, want class state", err)
	}
}

// item is the expected result of one instance of a batch: "" for success, else the class
// and code of its error.
type item struct {
	class Class
	code  int
	name  string
}

func TestSetAutoRenewAnswers(t *testing.T) {
	ids := []string{"ins-a", "ins-b", "ins-c"}
	ok := `{"code":0,"message":"ok","codeDesc":"Success","requestId":"1"}`
	missing := `{"code":5000,"message":"instance ins-b does not exist","codeDesc":"InvalidParameter.ResourceNotFound","requestId":"2"}`
	released := `{"code":5100,"message":"released","codeDesc":"OperationConstraints.InvaildInstanceStatus","requestId":"3"}`
	tests := []struct {
		name    string
		body    string
		items   map[string]*item // nil entry: success; nil map: a call error
		callErr Class
	}{
		{"all ok without detail", `{"code":0,"message":"ok"}`,
			map[string]*item{"ins-a": nil, "ins-b": nil, "ins-c": nil}, 0},
		{"all ok with detail", fmt.Sprintf(`{"code":0,"detail":{"ins-a":%s,"ins-b":%s,"ins-c":%s}}`, ok, ok, ok),
			map[string]*item{"ins-a": nil, "ins-b": nil, "ins-c": nil}, 0},
		{"some failed", fmt.Sprintf(`{"code":5400,"codeDesc":"OperationFail.PartResourceOpFailed","message":"1 of 3","detail":{"ins-a":%s,"ins-b":%s,"ins-c":%s}}`, ok, missing, ok),
			map[string]*item{"ins-a": nil, "ins-b": {ClassState, 5000, "InvalidParameter.ResourceNotFound"}, "ins-c": nil}, 0},
		{"all failed", fmt.Sprintf(`{"code":"5100","codeDesc":"OperationFail.AllResourceOpFailed","detail":{"ins-a":%s,"ins-b":%s,"ins-c":%s}}`, released, missing, released),
			map[string]*item{"ins-a": {ClassState, 5100, "OperationConstraints.InvaildInstanceStatus"}, "ins-b": {ClassState, 5000, "InvalidParameter.ResourceNotFound"}, "ins-c": {ClassState, 5100, "OperationConstraints.InvaildInstanceStatus"}}, 0},
		{"an id missing from detail", fmt.Sprintf(`{"code":5400,"detail":{"ins-a":%s,"ins-b":%s}}`, ok, missing),
			map[string]*item{"ins-a": nil, "ins-b": {ClassState, 5000, "InvalidParameter.ResourceNotFound"}, "ins-c": {ClassUnknown, 0, ""}}, 0},
		{"success with an id missing from detail", fmt.Sprintf(`{"code":0,"detail":{"ins-a":%s,"ins-c":%s}}`, ok, ok),
			map[string]*item{"ins-a": nil, "ins-b": {ClassUnknown, 0, ""}, "ins-c": nil}, 0},
		{"an item that is not an object", fmt.Sprintf(`{"code":5400,"detail":{"ins-a":%s,"ins-b":"failed","ins-c":%s}}`, ok, ok),
			map[string]*item{"ins-a": nil, "ins-b": {ClassUnknown, 0, ""}, "ins-c": nil}, 0},
		{"an item without code", fmt.Sprintf(`{"code":5400,"detail":{"ins-a":%s,"ins-b":{"message":"?"},"ins-c":%s}}`, ok, ok),
			map[string]*item{"ins-a": nil, "ins-b": {ClassUnknown, 0, ""}, "ins-c": nil}, 0},
		{"all failed without detail", `{"code":5100,"codeDesc":"OperationFail.AllResourceOpFailed"}`, nil, ClassUnknown},
		{"some failed without detail", `{"code":5400,"codeDesc":"OperationFail.PartResourceOpFailed"}`, nil, ClassUnknown},
		{"some failed, detail unreadable", `{"code":5400,"detail":[1,2]}`, nil, ClassUnknown},
		{"success, detail unreadable", `{"code":0,"detail":"all good"}`, nil, ClassUnknown},
		{"parameter error", `{"code":4000,"codeDesc":"InvalidParameter.AutoRenew","message":"bad flag"}`, nil, ClassParameter},
		{"busy", `{"code":6000,"codeDesc":"OperationFail.SystemBusy"}`, nil, ClassRetryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, constant(200, tt.body))
			res, err := API{Trade: f.client(t, nil)}.SetAutoRenew(context.Background(), append(ids, "", "ins-a"), AutoRenewOn)
			if tt.items == nil {
				if ClassOf(err) != tt.callErr || len(res.Items) != 0 {
					t.Fatalf("got %+v, %v; want a call error of class %v", res, err, tt.callErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SetAutoRenew: %v, want per-instance results", err)
			}
			var got []string
			for _, it := range res.Items {
				got = append(got, it.InstanceID)
				want := tt.items[it.InstanceID]
				switch {
				case want == nil && it.Err != nil:
					t.Errorf("%s: %v, want success", it.InstanceID, it.Err)
				case want != nil && (it.Err == nil || it.Err.Class != want.class || it.Err.Code != want.code || it.Err.Name != want.name):
					t.Errorf("%s: %#v, want class %v, code %d, name %q", it.InstanceID, it.Err, want.class, want.code, want.name)
				}
			}
			if diff := cmp.Diff(ids, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			failed := 0
			for _, w := range tt.items {
				if w != nil {
					failed++
				}
			}
			if len(res.Failed()) != failed || len(res.Succeeded()) != len(ids)-failed {
				t.Errorf("%d failed, %d succeeded; want %d and %d", len(res.Failed()), len(res.Succeeded()), failed, len(ids)-failed)
			}
		})
	}
}

func TestSetAutoRenewRequest(t *testing.T) {
	trade := newFake(t, constant(200, `{"code":0}`))
	cvm := newFake(t, constant(200, `{"code":0,"dealId":"1"}`))
	api := API{CVM: cvm.client(t, nil), Trade: trade.client(t, nil)}
	if _, err := api.SetAutoRenew(context.Background(), []string{"ins-b", "ins-a", "ins-b"}, AutoRenewNever); err != nil {
		t.Fatal(err)
	}
	if _, err := api.RenewInstance(context.Background(), "ins-a", 1); err != nil {
		t.Fatal(err)
	}
	if len(trade.requests()) != 1 || len(cvm.requests()) != 1 {
		t.Fatalf("trade got %d requests, cvm %d; want SetAutoRenew to the trade module, RenewInstance to cvm", len(trade.requests()), len(cvm.requests()))
	}
	form := trade.requests()[0].form
	want := url.Values{}
	for k, v := range map[string]string{"instanceType": "1", "autoRenew": "2", "instanceIds.0": "ins-b", "instanceIds.1": "ins-a", "Action": "SetAutoRenew"} {
		want.Set(k, v)
		if form.Get(k) != v {
			t.Errorf("sent %s=%q, want %q", k, form.Get(k), v)
		}
	}
	if _, ok := form["instanceIds.2"]; ok {
		t.Errorf("a repeated id was sent twice: %v", form)
	}

	// Without a trade transport, the CVM transport serves the trade module too.
	if _, err := (API{CVM: trade.client(t, nil)}).SetAutoRenew(context.Background(), []string{"ins-a"}, AutoRenewOn); err != nil {
		t.Fatal(err)
	}
	if len(trade.requests()) != 2 {
		t.Errorf("with Trade nil, SetAutoRenew did not go to the CVM transport")
	}
}

// What the API would refuse of a SetAutoRenew is refused before anything is sent.
func TestSetAutoRenewChecksBeforeSending(t *testing.T) {
	f := newFake(t, constant(200, `{"code":0}`))
	api := API{CVM: f.client(t, nil)}
	many := make([]string, MaxAutoRenewIDs+1)
	for i := range many {
		many[i] = "ins-" + strconv.Itoa(i)
	}
	for _, tc := range []struct {
		ids  []string
		flag int
	}{{nil, 1}, {[]string{"", ""}, 1}, {many, 1}, {[]string{"ins-a"}, 3}, {[]string{"ins-a"}, -1}} {
		if _, err := api.SetAutoRenew(context.Background(), tc.ids, tc.flag); ClassOf(err) != ClassParameter {
			t.Errorf("SetAutoRenew(%d ids, %d): %v, want a parameter error", len(tc.ids), tc.flag, err)
		}
	}
	if _, err := api.SetAutoRenew(context.Background(), many[:MaxAutoRenewIDs], 0); err != nil {
		t.Errorf("SetAutoRenew(%d ids): %v", MaxAutoRenewIDs, err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests sent, want only the valid one", n)
	}
}

// Call returns the members of an error answer with the error, so that a batch action reads
// its detail; an answer that cannot be read gives none.
func TestCallReturnsMembersOfErrorAnswers(t *testing.T) {
	f := newFake(t, constant(200, `{"code":5400,"codeDesc":"OperationFail.PartResourceOpFailed","detail":{"ins-a":{"code":0}}}`))
	ans, err := f.client(t, nil).Call(context.Background(), "SetAutoRenew", map[string]string{"instanceIds.0": "ins-a"})
	var e *Error
	if !errors.As(err, &e) || e.Code != 5400 {
		t.Fatalf("error %v, want the 5400 answer", err)
	}
	if _, ok := ans.Get("DETAIL"); !ok {
		t.Errorf("answer %v: want its members, detail among them (looked up in any case)", ans)
	}
	f = newFake(t, constant(200, `{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"r"}}`))
	ans, err = f.client(t, nil).Call(context.Background(), "DescribeInstances", nil)
	if err == nil || ans == nil {
		t.Fatalf("got %v, %v; want the Response members with the error", ans, err)
	}
	if _, ok := ans.Get("RequestId"); !ok {
		t.Errorf("answer %v: want the members of Response", ans)
	}
	f = newFake(t, constant(502, `<html>bad gateway</html>`))
	if ans, err := f.client(t, nil).Call(context.Background(), "DescribeInstances", nil); err == nil || ans != nil {
		t.Errorf("got %v, %v; want an error without members", ans, err)
	}
}

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"busy", &Error{Code: 6000, Name: "OperationFail.SystemBusy", HTTPStatus: 200, Class: ClassRetryable}, true},
		{"rate limit", &Error{Code: 4400, HTTPStatus: 200, Class: ClassRetryable}, true},
		{"rate limit, HTTP 429", &Error{Code: 6000, Name: "RequestLimitExceeded", HTTPStatus: 429}, true},
		{"replayed nonce", &Error{Code: 4500, Name: "InvalidRequest.ReplayAttack", HTTPStatus: 200, Class: ClassClock}, true},
		{"balance", &Error{Code: 5300, Name: "OperationConstraints.AccountBalanceNotEnough", HTTPStatus: 200}, true},
		{"wrapped parameter", fmt.Errorf("w: %w", &Error{Code: 4000, Name: "InvalidParameter", HTTPStatus: 200}), true},
		{"refused by the client", &Error{Class: ClassParameter, Err: errors.New("period 0")}, true},
		{"code 6000 without a name", &Error{Code: 6000, HTTPStatus: 200, Class: ClassRetryable}, false},
		{"internal error", &Error{Code: 6000, Name: "InternalError.Unknown", HTTPStatus: 200}, false},
		{"busy over HTTP 503", &Error{Code: 6000, Name: "OperationFail.SystemBusy", HTTPStatus: 503}, false},
		{"HTTP 502", &Error{HTTPStatus: 502, Class: ClassRetryable}, false},
		{"connection reset", &Error{Class: ClassRetryable, Err: errors.New("connection reset")}, false},
		{"malformed", malformed("RenewInstance", 200, "no dealId"), false},
		{"error naming a deal", &Error{Code: 4000, Name: "InvalidParameter", HTTPStatus: 200, Err: fmt.Errorf("%w: names deals", ErrMalformedAnswer)}, false},
		{"not a *Error", errors.New("timeout"), false},
		{"nil", nil, false},
	} {
		if got := Refused(tc.err); got != tc.want {
			t.Errorf("%s: Refused(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestIdempotent(t *testing.T) {
	for _, tc := range []struct {
		action string
		params map[string]string
		want   bool
	}{
		{"DescribeInstances", nil, true},
		{"InquiryInstancePrice", nil, true},
		{"SetAutoRenew", nil, true},
		{"RunInstances", map[string]string{"clientToken": "t"}, true},
		{"RunInstances", map[string]string{}, false},
		{"RenewInstance", map[string]string{"instanceId": "ins-a", "period": "1"}, false},
		{"TerminateInstances", nil, false},
	} {
		if got := Idempotent(tc.action, tc.params); got != tc.want {
			t.Errorf("Idempotent(%s, %v) = %v, want %v", tc.action, tc.params, got, tc.want)
		}
	}
}
