package cvm

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseResponse feeds arbitrary answers to the parser of every action, batch answers
// included. Whatever the bytes, the parser returns a result or a *Error with a Class, and
// never panics.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"code":0,"message":"ok","dealIds":[121],"unInstanceIds":{"121":["ins-npphstest"]}}`))
	f.Add([]byte(`<html><body>502</body></html>`))
	f.Add([]byte(``))
	f.Add([]byte(`{"code":0,"dealIds":[12`))
	f.Add([]byte(`{"codeDesc":"Success","message":"","code":0,"dealId":"2790804"}`))
	f.Add([]byte(`{"code":5400,"codeDesc":"OperationFail.PartResourceOpFailed","detail":{"ins-a":{"code":0},"ins-b":{"code":5000,"codeDesc":"InvalidParameter.ResourceNotFound"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 500} {
			fs, err := parseAnswer("Fuzz", status, body)
			checkBatch(t, fs, err)
			if err != nil {
				checkErr(t, err)
				if c := ClassOf(err); c == ClassParameter || c == ClassAuth || c == ClassBalance || c == ClassQuota {
					// A refusal must not be an answer that names something bought.
					if f, derr := decodeObject(bytes.TrimSpace(body)); derr == nil {
						if res, ok := boughtIn(f); ok {
							t.Fatalf("refusal %v in an answer naming %+v", err, res)
						}
					}
				}
				continue
			}
			if fs == nil {
				t.Fatal("no fields and no error")
			}
			if res, err := parseRunResult("RunInstances", fs); err != nil {
				checkErr(t, err)
			} else if len(res.DealIDs) == 0 && len(res.AllInstanceIDs()) == 0 {
				t.Fatal("RunInstances success without ids")
			}
			if deal, err := parseDealID("RenewInstance", fs); err != nil {
				checkErr(t, err)
			} else if deal == "" {
				t.Fatal("RenewInstance success without a deal")
			}
			if p, err := parsePrice("InquiryInstancePrice", fs); err != nil {
				checkErr(t, err)
			} else if p < 0 {
				t.Fatalf("negative price %d", p)
			}
			list, total, hasTotal, err := parseDescribePage("DescribeInstances", fs)
			if err != nil {
				checkErr(t, err)
			} else {
				if hasTotal && total < 0 {
					t.Fatalf("negative totalCount %d", total)
				}
				for _, in := range list {
					if in.ID == "" {
						t.Fatal("instance without id")
					}
				}
			}
		}
	})
}

// checkBatch reads an answer as SetAutoRenew's over three ids: a result per id, or an error
// of the call.
func checkBatch(t *testing.T, fs Answer, err error) {
	t.Helper()
	ids := []string{"ins-a", "ins-b", "ins-c"}
	res, berr := parseBatch("SetAutoRenew", ids, fs, err)
	if berr != nil {
		checkErr(t, berr)
		if len(res.Items) != 0 {
			t.Fatalf("results %+v with the call's error %v", res, berr)
		}
		return
	}
	if len(res.Items) != len(ids) {
		t.Fatalf("%d results for %d ids", len(res.Items), len(ids))
	}
	for i, it := range res.Items {
		if it.InstanceID != ids[i] {
			t.Fatalf("result %d is of %s, want %s", i, it.InstanceID, ids[i])
		}
		if it.Err != nil {
			checkErr(t, it.Err)
		}
	}
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	if e.Class < ClassUnknown || e.Class > ClassState {
		t.Fatalf("error %v has class %d", err, e.Class)
	}
	if e.Error() == "" {
		t.Fatal("empty error text")
	}
}
