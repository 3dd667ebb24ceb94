package cvmsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fleet/internal/cvm"
)

// FuzzRequest sends arbitrary action parameters, correctly signed, through the handler: every
// answer must be a style-A JSON answer, never a panic or a malformed body.
func FuzzRequest(f *testing.F) {
	f.Add("RunInstances", "cpu=2&mem=4&imageId=img-lkxqa4kj&period=1&storageSize=0&instanceType=CVM.S2&zoneId=100003")
	f.Add("RunInstances", "cpu=2&mem=4&imageId=img-lkxqa4kj&period=1&storageSize=0&vpcId=vpc-aaaa1111&subnetId=subnet-bbbb2222&zoneId=100003&privateIpAddresses.0=10.0.1.1")
	f.Add("RunInstances", "cpu=-1&mem=99999999999999999999&period=x&storageSize=5&password=%00%ff&clientToken=t")
	f.Add("DescribeInstances", "instanceIds.0=ins-aaaaaaaa&limit=100&offset=99999999999&status=2&searchWord=%E5%90%8D")
	f.Add("DescribeInstances", "instanceIds.99999999999999999999=x&lanIps.=1")
	f.Add("InquiryInstancePrice", "instanceType=1&cpu=2&mem=4&period=12&storageSize=50&imageType=2&imageId=img-lkxqa4kj&rootSize=23&storageType=4")
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	sim, err := New(Config{Seed: 1, Now: func() time.Time { return now }, VPCs: []VPC{testVPC}, Quota: 1000})
	if err != nil {
		f.Fatal(err)
	}
	var nonce uint64
	f.Fuzz(func(t *testing.T, action, form string) {
		values, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		p := map[string]string{}
		for k, vs := range values {
			p[k] = vs[0]
		}
		nonce++
		p["Action"], p["Region"], p["SecretId"] = action, "gz", DemoSecretID
		p["Nonce"], p["Timestamp"] = strconv.FormatUint(nonce, 10), strconv.FormatInt(now.Unix(), 10)
		delete(p, "Signature")
		delete(p, "SignatureMethod")
		delete(p, "Version")
		p["Signature"] = cvm.Sign(cvm.StringToSign("POST", "example.com", Path, p), DemoSecretKey, "")
		body := url.Values{}
		for k, v := range p {
			body.Set(k, v)
		}
		r := httptest.NewRequest(http.MethodPost, "http://example.com"+Path, strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		var a struct {
			Code     *int    `json:"code"`
			CodeDesc *string `json:"codeDesc"`
			Message  *string `json:"message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Code == nil || a.CodeDesc == nil || a.Message == nil {
			t.Fatalf("answer %q: not a style-A answer (%v)", rec.Body.String(), err)
		}
		if *a.Code == 0 && *a.CodeDesc != NameSuccess || *a.Code != 0 && (*a.CodeDesc == "" || *a.Message == "") {
			t.Fatalf("answer %q: inconsistent code and codeDesc", rec.Body.String())
		}
	})
}

// FuzzDataFile loads arbitrary data files: New either refuses the file, naming it, or serves
// DescribeInstances and a purchase from it; nothing panics.
func FuzzDataFile(f *testing.F) {
	f.Add([]byte(`{"format_version":"1"}`))
	f.Add([]byte(`{"format_version":"1","next_deal":5,"balance_fen":-1,"vpcs":[{"id":"vpc-a1","subnets":[{"id":"subnet-a1","zone_id":100003,"cidr":"10.0.1.0/24"}]}],` +
		`"instances":[{"id":"ins-abcd1234","uuid":"x","region":"ap-guangzhou","zone_id":100003,"subnet_id":"subnet-a1","lan_ip":"10.0.1.2","status":3,"storage_size":10}],` +
		`"tokens":{"t":{"params_sha256":"00","answer":{"dealIds":[5],"unInstanceIds":{"5":["ins-abcd1234"]}},"at":"2026-03-01T10:00:00Z"}},"windows_images":["img-win00001"],"requests_served":{"RunInstances":1}}`))
	f.Add([]byte(`{"format_version":"1","instances":[{"id":"ins-aaaaaaaa"},{"id":"ins-aaaaaaaa"}]}`))
	f.Add([]byte(`{"format_version":"1","tokens":{"t":null}}`))
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "sim.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		sim, err := New(Config{Seed: 1, DataPath: path, Now: func() time.Time { return now }})
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, form := range []string{
			"Action=DescribeInstances&limit=100",
			"Action=RunInstances&cpu=2&mem=4&imageId=img-lkxqa4kj&period=1&storageSize=0&instanceType=CVM.S2&zoneId=100003&clientToken=t",
		} {
			values, _ := url.ParseQuery(form)
			p := map[string]string{"Region": "gz", "SecretId": DemoSecretID, "Nonce": strconv.Itoa(len(form)), "Timestamp": strconv.FormatInt(now.Unix(), 10)}
			for k, vs := range values {
				p[k] = vs[0]
			}
			p["Signature"] = cvm.Sign(cvm.StringToSign("POST", "example.com", Path, p), DemoSecretKey, "")
			body := url.Values{}
			for k, v := range p {
				body.Set(k, v)
			}
			r := httptest.NewRequest(http.MethodPost, "http://example.com"+Path, strings.NewReader(body.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, r)
			var a struct {
				Code *int `json:"code"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Code == nil {
				t.Fatalf("%s: answer %q is not a style-A answer (%v)", p["Action"], rec.Body.String(), err)
			}
		}
		if err := sim.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}
