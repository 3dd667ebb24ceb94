package cvmsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// rawSigned sends params as they are named (underscores included) with the common parameters
// of e, signed by the documented rule written out here: every name with "_" read as ".",
// sorted, joined with raw values, HmacSHA256.
func rawSigned(t *testing.T, e *env, method, action string, params map[string]string) answer {
	t.Helper()
	p := with(params, "Action", action, "Region", "ap-guangzhou", "SecretId", DemoSecretID,
		"Nonce", strconv.FormatUint(e.nonce.Add(1), 10),
		"Timestamp", strconv.FormatInt(e.clock.Now().Unix(), 10), "SignatureMethod", "HmacSHA256")
	type pair struct{ k, v string }
	var pairs []pair
	for k, v := range p {
		pairs = append(pairs, pair{strings.ReplaceAll(k, "_", "."), v})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var parts []string
	for _, kv := range pairs {
		parts = append(parts, kv.k+"="+kv.v)
	}
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(DemoSecretKey))
	mac.Write([]byte(method + u.Hostname() + Path + "?" + strings.Join(parts, "&")))
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	form.Set("Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	var resp *http.Response
	if method == http.MethodGet {
		resp, err = e.srv.Client().Get(e.srv.URL + Path + "?" + form.Encode())
	} else {
		resp, err = e.srv.Client().Post(e.srv.URL+Path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, b)
	}
	a.raw = string(b)
	return a
}

// TestUnderscoreNamesAreRead sends list parameters named with "_" (instanceIds_0), as the
// SDKs may: they are signed with "_" read as "." and must then be read as instanceIds.0, not
// ignored.
func TestUnderscoreNamesAreRead(t *testing.T) {
	e := newEnv(t, Config{VPCs: []VPC{testVPC}})
	wantOK(t, e.call("RunInstances", with(runParams(), "goodsNum", "3")))
	all := e.sim.Instances()

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run("DescribeInstances "+method, func(t *testing.T) {
			a := rawSigned(t, e, method, "DescribeInstances", map[string]string{"instanceIds_0": all[1].ID})
			wantOK(t, a)
			if a.TotalCount != 1 || len(a.InstanceSet) != 1 || a.InstanceSet[0].UnInstanceID != all[1].ID {
				t.Fatalf("instanceIds_0=%s: got %d instances (%s), want that one", all[1].ID, a.TotalCount, a.raw)
			}
		})
	}
	t.Run("mixed spellings", func(t *testing.T) {
		a := rawSigned(t, e, http.MethodPost, "DescribeInstances",
			map[string]string{"instanceIds_0": all[0].ID, "instanceIds.1": all[2].ID})
		wantOK(t, a)
		if a.TotalCount != 2 {
			t.Fatalf("instanceIds_0 and instanceIds.1: got %d instances, want 2", a.TotalCount)
		}
	})
	t.Run("lanIps", func(t *testing.T) {
		a := rawSigned(t, e, http.MethodPost, "DescribeInstances", map[string]string{"lanIps_0": all[2].LanIP})
		wantOK(t, a)
		if a.TotalCount != 1 || a.InstanceSet[0].UnInstanceID != all[2].ID {
			t.Fatalf("lanIps_0=%s: got %d instances, want %s", all[2].LanIP, a.TotalCount, all[2].ID)
		}
	})
	t.Run("same parameter twice", func(t *testing.T) {
		a := rawSigned(t, e, http.MethodPost, "DescribeInstances",
			map[string]string{"instanceIds_0": all[0].ID, "instanceIds.0": all[1].ID})
		wantErr(t, a, CodeParameter, NameInvalidParameter)
	})
	t.Run("privateIpAddresses", func(t *testing.T) {
		p := with(runParams(), "vpcId", testVPC.ID, "subnetId", "subnet-bbbb2222", "privateIpAddresses_0", "10.0.1.77",
			"clientToken", "underscore-1")
		a := rawSigned(t, e, http.MethodPost, "RunInstances", p)
		wantOK(t, a)
		id := a.UnInstanceIDs[strconv.FormatInt(a.DealIDs[0], 10)][0]
		if in, _ := e.sim.Instance(id); in.LanIP != "10.0.1.77" {
			t.Fatalf("privateIpAddresses_0=10.0.1.77: bought %s with %s", id, in.LanIP)
		}
		// The same call spelled with a dot is the same call: its token replays.
		dotted := with(p, "privateIpAddresses_0", "", "privateIpAddresses.0", "10.0.1.77")
		again := rawSigned(t, e, http.MethodPost, "RunInstances", dotted)
		wantOK(t, again)
		if again.DealIDs[0] != a.DealIDs[0] {
			t.Errorf("replay with privateIpAddresses.0: deal %d, want %d", again.DealIDs[0], a.DealIDs[0])
		}
	})
}
