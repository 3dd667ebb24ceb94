package cvm

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func intPtr(n int) *int { return &n }

// TestParseInstanceRefreshFields reads what a refresh records from instanceSet elements:
// zone, addresses, deadline and renew flag, in the forms the documents give and the lenient
// ones they imply.
func TestParseInstanceRefreshFields(t *testing.T) {
	deadline := time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC) // 10:00 Beijing time
	tests := []struct {
		name string
		json string
		want Instance
	}{
		{
			name: "documented",
			json: `{"unInstanceId":"ins-1","status":2,"zoneId":100003,"lanIp":"10.0.0.7","wanIpSet":["203.0.113.7","198.51.100.1"],"deadlineTime":"2027-03-01 10:00:00","autoRenew":1}`,
			want: Instance{ID: "ins-1", Status: 2, ZoneID: 100003, LanIP: "10.0.0.7",
				PrivateIPs: []string{"10.0.0.7"}, PublicIPs: []string{"203.0.113.7", "198.51.100.1"},
				Deadline: &deadline, DeadlineText: "2027-03-01 10:00:00", AutoRenew: intPtr(1)},
		},
		{
			name: "numeric strings, privateIpAddresses and a repeated address",
			json: `{"unInstanceId":"ins-2","zoneId":"100004","lanIp":"10.0.0.8","privateIpAddresses":["10.0.0.8","10.0.1.8"," "],"wanIpSet":"203.0.113.8","autoRenew":"0"}`,
			want: Instance{ID: "ins-2", ZoneID: 100004, LanIP: "10.0.0.8",
				PrivateIPs: []string{"10.0.0.8", "10.0.1.8"}, PublicIPs: []string{"203.0.113.8"}, AutoRenew: intPtr(0)},
		},
		{
			name: "postpaid placeholder and empty lists",
			json: `{"unInstanceId":"ins-3","lanIp":"","wanIpSet":[],"deadlineTime":"0000-00-00 00:00:00","autoRenew":2}`,
			want: Instance{ID: "ins-3", DeadlineText: "0000-00-00 00:00:00", AutoRenew: intPtr(2)},
		},
		{
			name: "absent and null",
			json: `{"unInstanceId":"ins-4","wanIpSet":null,"deadlineTime":null,"autoRenew":null}`,
			want: Instance{ID: "ins-4"},
		},
		{
			name: "RFC 3339 deadline",
			json: `{"unInstanceId":"ins-5","deadlineTime":"2027-03-01T10:00:00+08:00"}`,
			want: Instance{ID: "ins-5", Deadline: &deadline, DeadlineText: "2027-03-01T10:00:00+08:00"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseInstance([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestParseInstanceDeadlineUnexpected: a deadline in a form the documents do not give is never
// guessed: Deadline stays nil, the text is kept, and a note says why.
func TestParseInstanceDeadlineUnexpected(t *testing.T) {
	for _, raw := range []string{
		`"01/03/2027 10:00"`,
		`"2027-03-01"`,
		`"2027-02-30 10:00:00"`, // no such day
		`"2027-03-01 10:00:00 +0800"`,
		`"tomorrow"`,
		`1804034400`,
		`{"at":"2027-03-01 10:00:00"}`,
		`["2027-03-01 10:00:00"]`,
	} {
		t.Run(raw, func(t *testing.T) {
			got, err := parseInstance([]byte(`{"unInstanceId":"ins-1","status":2,"deadlineTime":` + raw + `,"autoRenew":1}`))
			if err != nil {
				t.Fatalf("an unreadable deadline failed the answer: %v", err)
			}
			if got.Deadline != nil {
				t.Errorf("Deadline = %v, want nil", got.Deadline)
			}
			if got.DeadlineText == "" {
				t.Errorf("the deadline's text was not kept")
			}
			if len(got.Notes) != 1 || !strings.Contains(got.Notes[0], "deadlineTime") {
				t.Errorf("Notes = %q, want one about deadlineTime", got.Notes)
			}
			if got.Status != 2 || got.AutoRenew == nil || *got.AutoRenew != 1 {
				t.Errorf("the other fields were not read: %+v", got)
			}
		})
	}
}

// TestParseInstanceAutoRenewUnexpected: a renew flag outside 0..2 or not a number is left
// unknown with a note.
func TestParseInstanceAutoRenewUnexpected(t *testing.T) {
	for _, raw := range []string{`3`, `-1`, `"yes"`, `1.5`, `[1]`} {
		t.Run(raw, func(t *testing.T) {
			got, err := parseInstance([]byte(`{"unInstanceId":"ins-1","autoRenew":` + raw + `}`))
			if err != nil {
				t.Fatalf("an unreadable renew flag failed the answer: %v", err)
			}
			if got.AutoRenew != nil || len(got.Notes) != 1 || !strings.Contains(got.Notes[0], "autoRenew") {
				t.Errorf("AutoRenew %v, notes %q; want nil and one note", got.AutoRenew, got.Notes)
			}
		})
	}
}

// TestParseInstanceBadAddresses: addresses that are objects make the answer malformed, as
// other fields of the wrong kind do.
func TestParseInstanceBadAddresses(t *testing.T) {
	for _, js := range []string{
		`{"unInstanceId":"ins-1","wanIpSet":{"ip":"1.2.3.4"}}`,
		`{"unInstanceId":"ins-1","privateIpAddresses":[{"ip":"1.2.3.4"}]}`,
	} {
		if _, err := parseInstance([]byte(js)); err == nil {
			t.Errorf("%s: no error", js)
		}
	}
}
