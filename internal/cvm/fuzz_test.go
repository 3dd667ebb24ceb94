package cvm

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseResponse feeds arbitrary answers to the parser of every action. Whatever the bytes,
// the parser returns a result or a *Error with a Class, and never panics.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"code":0,"message":"ok","dealIds":[121],"unInstanceIds":{"121":["ins-npphstest"]}}`))
	f.Add([]byte(`<html><body>502</body></html>`))
	f.Add([]byte(``))
	f.Add([]byte(`{"code":0,"dealIds":[12`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 500} {
			fs, err := parseAnswer("Fuzz", status, body)
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

func checkErr(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	if e.Class < ClassUnknown || e.Class > ClassClock {
		t.Fatalf("error %v has class %d", err, e.Class)
	}
	if e.Error() == "" {
		t.Fatal("empty error text")
	}
}
