package cvm

import (
	"strings"
	"testing"
)

const (
	docSecretID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"
	docSecretKey = "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA"
	docHost      = "cvm.api.qcloud.com"
	docPath      = "/v2/index.php"
)

// TestPublishedVectors checks every vector of the reference's signature section, both the string
// built from the parameters and the signature of that string.
func TestPublishedVectors(t *testing.T) {
	pySDK := func(method string) map[string]string {
		return map[string]string{
			"Action":          "DescribeInstances",
			"Nonce":           "1290303896666895346",
			"Region":          "ap-guangzhou",
			"SecretId":        "secretIdFoo",
			"SignatureMethod": method,
			"Timestamp":       "1512393162",
			"Version":         "2017-03-12",
		}
	}
	tests := []struct {
		name       string
		method     string
		params     map[string]string
		key        string
		sigMethod  string
		wantString string
		wantSig    string
	}{
		{
			name:   "1 legacy DescribeInstances HmacSHA1",
			method: "GET",
			params: map[string]string{
				"Action": "DescribeInstances", "Nonce": "11886", "Region": "gz",
				"SecretId": docSecretID, "Timestamp": "1465185768",
				"instanceIds.0": "ins-09dx96dg", "limit": "20", "offset": "0",
			},
			key:        docSecretKey,
			sigMethod:  "",
			wantString: "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=11886&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&Timestamp=1465185768&instanceIds.0=ins-09dx96dg&limit=20&offset=0",
			wantSig:    "NSI3UqqD99b/UJb4tbG/xZpRW64=",
		},
		{
			name:   "2 HmacSHA256",
			method: "GET",
			params: map[string]string{
				"Action": "DescribeInstances", "InstanceIds.0": "ins-09dx96dg", "Nonce": "11886",
				"Region": "ap-guangzhou", "SecretId": docSecretID, "SignatureMethod": "HmacSHA256",
				"Timestamp": "1465185768",
			},
			key:        docSecretKey,
			sigMethod:  "HmacSHA256",
			wantString: "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768",
			wantSig:    "0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=",
		},
		{
			name:   "3 as 2 with HmacSHA1",
			method: "GET",
			params: map[string]string{
				"Action": "DescribeInstances", "InstanceIds.0": "ins-09dx96dg", "Nonce": "11886",
				"Region": "ap-guangzhou", "SecretId": docSecretID, "SignatureMethod": "HmacSHA1",
				"Timestamp": "1465185768",
			},
			key:        docSecretKey,
			sigMethod:  "HmacSHA1",
			wantString: "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Timestamp=1465185768",
			wantSig:    "nPVnY6njQmwQ8ciqbPl5Qe+Oru4=",
		},
		{
			name:   "4 2014 page",
			method: "GET",
			params: map[string]string{
				"Action": "DescribeInstances", "Nonce": "345122", "Region": "gz",
				"SecretId": docSecretID, "Timestamp": "1408704141",
			},
			key:        docSecretKey,
			wantString: "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=345122&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&Timestamp=1408704141",
			wantSig:    "HgIYOPcx5lN6gz8JsCFBNAWp2oQ=",
		},
		{
			name:   "4 with instance ids appended",
			method: "GET",
			params: map[string]string{
				"Action": "DescribeInstances", "Nonce": "345122", "Region": "gz",
				"SecretId": docSecretID, "Timestamp": "1408704141",
				"instanceIds.0": "qcvm12345", "instanceIds.1": "qcvm56789",
			},
			key:        docSecretKey,
			wantString: "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=345122&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&Timestamp=1408704141&instanceIds.0=qcvm12345&instanceIds.1=qcvm56789",
			wantSig:    "66prolcgMqz0pm5B52x1Z5ulz/Q=",
		},
		{
			name:       "5 POST HmacSHA1",
			method:     "POST",
			params:     pySDK("HmacSHA1"),
			key:        "secretKeyBar",
			sigMethod:  "HmacSHA1",
			wantString: "POSTcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=1290303896666895346&Region=ap-guangzhou&SecretId=secretIdFoo&SignatureMethod=HmacSHA1&Timestamp=1512393162&Version=2017-03-12",
			wantSig:    "p3n+pxBqF5JGZtDSxoVn5tGngf0=",
		},
		{
			name:       "5 lower-case method",
			method:     "post",
			params:     pySDK("HmacSHA1"),
			key:        "secretKeyBar",
			sigMethod:  "HmacSHA1",
			wantString: "POSTcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=1290303896666895346&Region=ap-guangzhou&SecretId=secretIdFoo&SignatureMethod=HmacSHA1&Timestamp=1512393162&Version=2017-03-12",
			wantSig:    "p3n+pxBqF5JGZtDSxoVn5tGngf0=",
		},
		{
			name:       "6a GET HmacSHA1",
			method:     "GET",
			params:     pySDK("HmacSHA1"),
			key:        "secretKeyBar",
			sigMethod:  "HmacSHA1",
			wantString: "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=1290303896666895346&Region=ap-guangzhou&SecretId=secretIdFoo&SignatureMethod=HmacSHA1&Timestamp=1512393162&Version=2017-03-12",
			wantSig:    "5HAq1BOKNLEE2/uauWnp6Zv9Z3c=",
		},
		{
			name:       "6b POST HmacSHA256",
			method:     "POST",
			params:     pySDK("HmacSHA256"),
			key:        "secretKeyBar",
			sigMethod:  "HmacSHA256",
			wantString: "POSTcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=1290303896666895346&Region=ap-guangzhou&SecretId=secretIdFoo&SignatureMethod=HmacSHA256&Timestamp=1512393162&Version=2017-03-12",
			wantSig:    "B2T37FRSP6Fk0/q/cdfrTE0p3zX5ooB/2BPWZUFpsj4=",
		},
		{
			name:   "7 legacy prepaid RunInstances",
			method: "POST",
			params: map[string]string{
				"Action": "RunInstances", "Nonce": "12345", "Region": "gz", "SecretId": docSecretID,
				"SignatureMethod": "HmacSHA256", "Timestamp": "1465185768",
				"clientToken": "demo-token-0001", "cpu": "2", "goodsNum": "1",
				"imageId": "img-lkxqa4kj", "instanceType": "CVM.S2", "mem": "4", "period": "1",
				"storageSize": "0", "zoneId": "100003",
			},
			key:        docSecretKey,
			sigMethod:  "HmacSHA256",
			wantString: "POSTcvm.api.qcloud.com/v2/index.php?Action=RunInstances&Nonce=12345&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768&clientToken=demo-token-0001&cpu=2&goodsNum=1&imageId=img-lkxqa4kj&instanceType=CVM.S2&mem=4&period=1&storageSize=0&zoneId=100003",
			wantSig:    "jxCK0x9NZ/9hq6/s2zMjTfcO6tjQgZO8As2yzS5Fq60=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StringToSign(tt.method, docHost, docPath, tt.params)
			if got != tt.wantString {
				t.Errorf("StringToSign:\n got %s\nwant %s", got, tt.wantString)
			}
			if sig := Sign(got, tt.key, tt.sigMethod); sig != tt.wantSig {
				t.Errorf("Sign = %s, want %s", sig, tt.wantSig)
			}
			// The published string itself must sign to the published value too.
			if sig := Sign(tt.wantString, tt.key, tt.sigMethod); sig != tt.wantSig {
				t.Errorf("Sign(published string) = %s, want %s", sig, tt.wantSig)
			}
		})
	}
}

func TestStringToSignRules(t *testing.T) {
	params := map[string]string{
		"Signature":       "must-not-appear",
		"Placement_Zone":  "CN_GUANGZHOU",
		"instanceIds.10":  "b",
		"instanceIds.2":   "a",
		"password":        "a&b=c d+e",
		"SignatureMethod": "HmacSHA256",
	}
	got := StringToSign("POST", "h", "/p", params)
	want := "POSTh/p?Placement.Zone=CN_GUANGZHOU&SignatureMethod=HmacSHA256&instanceIds.10=b&instanceIds.2=a&password=a&b=c d+e"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if strings.Contains(got, "must-not-appear") {
		t.Error("Signature is part of the string to sign")
	}
}

func TestSignMethodSelection(t *testing.T) {
	const s = "GETh/p?a=1"
	sha1Sig := Sign(s, "k", "HmacSHA1")
	sha256Sig := Sign(s, "k", "HmacSHA256")
	if sha1Sig == sha256Sig {
		t.Fatal("HmacSHA1 and HmacSHA256 give the same signature")
	}
	for _, m := range []string{"", "hmacsha256", "HmacSHA256 ", "HMACSHA256", "other"} {
		if got := Sign(s, "k", m); got != sha1Sig {
			t.Errorf("Sign with method %q = %s, want the HmacSHA1 value %s", m, got, sha1Sig)
		}
	}
}

func BenchmarkSignRunInstances(b *testing.B) {
	params := map[string]string{
		"Action": "RunInstances", "Nonce": "12345", "Region": "gz", "SecretId": docSecretID,
		"SignatureMethod": "HmacSHA256", "Timestamp": "1465185768",
		"clientToken": "demo-token-0001", "cpu": "2", "goodsNum": "1",
		"imageId": "img-lkxqa4kj", "instanceType": "CVM.S2", "mem": "4", "period": "1",
		"storageSize": "0", "zoneId": "100003",
	}
	for b.Loop() {
		Sign(StringToSign("POST", docHost, docPath, params), docSecretKey, "HmacSHA256")
	}
}
