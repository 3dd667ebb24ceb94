package executor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
	"fleet/planner"
)

// pageCache serves a DescribeInstances by id from the answer the simulator gave the first
// time those ids were asked about, so that a benchmark times fleet's side of a refresh
// (signing, HTTP, parsing, recording), not the simulator's.
type pageCache struct {
	h  http.Handler
	mu sync.Mutex
	m  map[string][]byte
}

func (c *pageCache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	form, err := url.ParseQuery(string(raw))
	if err != nil || form.Get("Action") != "DescribeInstances" || form.Get("instanceIds.0") == "" {
		c.h.ServeHTTP(w, r)
		return
	}
	var key strings.Builder
	for i := 0; ; i++ {
		id := form.Get("instanceIds." + strconv.Itoa(i))
		if id == "" {
			break
		}
		key.WriteString(id)
	}
	c.mu.Lock()
	body, ok := c.m[key.String()]
	c.mu.Unlock()
	if !ok {
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		body = rec.Body.Bytes()
		c.mu.Lock()
		c.m[key.String()] = body
		c.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// refreshFleet is a simulator on 127.0.0.1 that sold n instances in calls of 100 (its
// answers to DescribeInstances by id cached after the first), the client that talks to it,
// and a state recording them in groups of 10,000.
func refreshFleet(b *testing.B, n int) (cvm.Transport, *state.State) {
	b.Helper()
	sim, err := cvmsim.New(cvmsim.Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(&pageCache{h: sim, m: map[string][]byte{}})
	b.Cleanup(srv.Close)
	c, err := cvm.New(cvm.Config{Endpoint: srv.URL + cvmsim.Path, SecretID: cvmsim.DemoSecretID, SecretKey: cvmsim.DemoSecretKey, Region: "ap-guangzhou"})
	if err != nil {
		b.Fatal(err)
	}
	t := WithRetry(Detach(c), RetryPolicy{})
	api := over(t)
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i*100 >= n {
					return
				}
				p := benchPlan(1).Calls()[0].Params
				p["goodsNum"] = fmt.Sprint(min(100, n-i*100))
				p["clientToken"] = planner.Token("refresh", "ap-guangzhou", 0, "g", i, p)
				res, err := api.RunInstances(context.Background(), p)
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				ids = append(ids, res.AllInstanceIDs()...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(ids) != n {
		b.Fatalf("bought %d instances, want %d", len(ids), n)
	}
	slices.Sort(ids)
	st := &state.State{Groups: map[string]*state.Group{}}
	defer func() {
		// Fill the cache: the timed refreshes then ask the simulator nothing.
		if _, err := RefreshWith(context.Background(), over(t), st, time.Now(), RefreshOptions{Parallel: 8}); err != nil {
			b.Fatal(err)
		}
	}()
	for i, id := range ids {
		name := fmt.Sprintf("g%03d", i/10000)
		g := st.Groups[name]
		if g == nil {
			g = &state.Group{}
			st.Groups[name] = g
		}
		g.Instances = append(g.Instances, &state.Instance{ID: id, Status: state.InstanceCreating})
	}
	return t, st
}

// peakHeap samples the heap in use until stop is closed and returns its peak above the
// heap at the start, in MB.
func peakHeap(stop <-chan struct{}) <-chan float64 {
	out := make(chan float64, 1)
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	base, peak := m.HeapInuse, m.HeapInuse
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				out <- float64(peak-base) / (1 << 20)
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	return out
}

// BenchmarkRefresh200k refreshes 200,000 instances through the real client over loopback:
// 2,000 DescribeInstances requests of 100 ids, 8 in flight, every answer parsed (status,
// zone, addresses, deadline, renew flag) and recorded. The answers are the simulator's,
// cached (pageCache), so the time is fleet's. It reports the peak heap the refresh added
// (the simulator's own memory is in the baseline). The target is 5 s and 400 MB.
func BenchmarkRefresh200k(b *testing.B) {
	t, st := refreshFleet(b, 200_000)
	for b.Loop() {
		stop := make(chan struct{})
		peak := peakHeap(stop)
		res, err := RefreshWith(context.Background(), over(t), st, time.Now(), RefreshOptions{Parallel: 8})
		close(stop)
		if err != nil || res.Read != 200_000 || res.Requests != 2000 {
			b.Fatalf("refresh: %v, %d read in %d requests", err, res.Read, res.Requests)
		}
		b.ReportMetric(<-peak, "peak-MB")
	}
}

// latent adds a fixed latency to every call, as a network far away would.
type latent struct {
	inner cvm.Transport
	d     time.Duration
}

func (l latent) Call(ctx context.Context, action string, params map[string]string) (cvm.Answer, error) {
	time.Sleep(l.d)
	return l.inner.Call(ctx, action, params)
}

// BenchmarkRefreshLatency refreshes 20,000 instances (200 requests) with 50 ms of latency a
// request and 8 requests in flight, and reports the time against the floor that latency
// sets (200 / 8 x 50 ms = 1.25 s) as floor-ratio; the target is 1.2 at most.
func BenchmarkRefreshLatency(b *testing.B) {
	t, st := refreshFleet(b, 20_000)
	const latency = 50 * time.Millisecond
	floor := time.Duration((200+7)/8) * latency
	for b.Loop() {
		start := time.Now()
		res, err := RefreshWith(context.Background(), over(latent{t, latency}), st, time.Now(), RefreshOptions{Parallel: 8})
		if err != nil || res.Requests != 200 {
			b.Fatalf("refresh: %v, %d requests", err, res.Requests)
		}
		b.ReportMetric(float64(time.Since(start))/float64(floor), "floor-ratio")
	}
}
