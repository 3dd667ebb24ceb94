package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"

	"fleet/internal/cvm"
	"fleet/internal/state"
)

var (
	_ Buyer         = (*fakeClient)(nil)
	_ cvm.Transport = (*retrying)(nil)
	_ cvm.Transport = (*limited)(nil)
	_ cvm.Transport = detached{}
	_ cvm.Transport = (*logged)(nil)
)

// fakeClient is an in-memory cloud honouring client tokens: the same token gets the first
// successful answer again. answer decides each attempt; nil means success.
type fakeClient struct {
	mu      sync.Mutex
	answer  func(params map[string]string, attempt int) (ids int, err error)
	sent    []map[string]string      // every attempt, in order
	byToken map[string]cvm.RunResult // successful answers
	tries   map[string]int           // attempts per token
	next    int                      // instance id counter
	started chan map[string]string   // if set, receives the params of each attempt
	release chan struct{}            // if set, each attempt waits for a value
	bought  map[string]bool          // every instance id handed out
}

func newFake() *fakeClient {
	return &fakeClient{byToken: map[string]cvm.RunResult{}, tries: map[string]int{}, bought: map[string]bool{}}
}

func (f *fakeClient) RunInstances(ctx context.Context, params map[string]string) (cvm.RunResult, error) {
	p := maps.Clone(params)
	if f.started != nil {
		f.started <- p
	}
	if f.release != nil {
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, p)
	token := p["clientToken"]
	f.tries[token]++
	if r, ok := f.byToken[token]; ok {
		return r, nil
	}
	n, _ := strconv.Atoi(p["goodsNum"])
	var err error
	if f.answer != nil {
		var ids int
		ids, err = f.answer(p, f.tries[token])
		if ids >= 0 {
			n = ids
		}
	}
	if err != nil && !errors.Is(err, errLostAnswer) {
		return cvm.RunResult{}, err
	}
	deal := fmt.Sprintf("deal-%d", len(f.byToken)+1)
	r := cvm.RunResult{DealIDs: []string{deal}, InstanceIDs: map[string][]string{deal: {}}}
	for range n {
		f.next++
		id := fmt.Sprintf("ins-%08d", f.next)
		f.bought[id] = true
		r.InstanceIDs[deal] = append(r.InstanceIDs[deal], id)
	}
	f.byToken[token] = r
	if err != nil {
		return cvm.RunResult{}, &cvm.Error{Action: "RunInstances", Class: cvm.ClassRetryable, Err: errLostAnswer}
	}
	return r, nil
}

// errLostAnswer makes the fake buy and then lose the answer, like a dropped connection.
var errLostAnswer = errors.New("connection reset after purchase")

func (f *fakeClient) DescribeInstances(ctx context.Context, _ cvm.DescribeFilter) ([]cvm.Instance, error) {
	return nil, nil
}

func (f *fakeClient) InquiryInstancePrice(ctx context.Context, _ map[string]string) (int64, error) {
	return 0, nil
}

func (f *fakeClient) sentTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.sent {
		out = append(out, p["clientToken"])
	}
	return out
}

// fakeJournal keeps every Append; fail makes the next Appends fail.
type fakeJournal struct {
	mu      sync.Mutex
	commits [][]state.JournalRecord
	fail    error
	okLeft  int // with failAfter: commits that still succeed
	after   error
}

func (j *fakeJournal) Append(recs ...state.JournalRecord) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	if j.after != nil {
		if j.okLeft == 0 {
			return j.after
		}
		j.okLeft--
	}
	cp := make([]state.JournalRecord, len(recs))
	for i, r := range recs {
		cp[i] = state.JournalRecord{Group: r.Group}
		if r.Batch != nil {
			b := *r.Batch
			cp[i].Batch = &b
		}
		if r.Instance != nil {
			u := *r.Instance
			cp[i].Instance = &u
		}
	}
	j.commits = append(j.commits, cp)
	return nil
}

func (j *fakeJournal) records() []state.JournalRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []state.JournalRecord
	for _, c := range j.commits {
		out = append(out, c...)
	}
	return out
}

func apiError(class cvm.Class, code int, name string) error {
	return &cvm.Error{Action: "RunInstances", Code: code, Name: name, Message: "refused", Class: class}
}
