package executor

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

var _ cvm.Transport = (*cvm.Client)(nil)

// countingJournal counts the commits of a journal.
type countingJournal struct {
	j Journal
	n atomic.Int64
}

func (c *countingJournal) Append(recs ...state.JournalRecord) error {
	c.n.Add(1)
	return c.j.Append(recs...)
}

// benchPlan returns a plan of n calls of one instance each, 100 calls a group.
func benchPlan(n int) *planner.Plan {
	cfg := spec.Config{
		CPU: 1, Mem: 2, ImageID: "img-31tjrtph", ImageType: "public", Period: 1, InstanceType: "CVM.S2",
		ZoneID: 100003, StorageType: "local", RootSize: 20, OS: "linux", BandwidthType: "PayByBandwidth",
		KeyID: "skey-3glfot13", SecurityAgent: true, MonitorAgent: true,
	}
	var calls []*planner.Call
	for i := range n {
		group := fmt.Sprintf("g%04d", i/100)
		cfg.InstanceName = group
		params := cfg.Params()
		params["goodsNum"] = "1"
		tok := planner.Token("bench", "ap-guangzhou", 0, group, i%100, params)
		params["clientToken"] = tok
		calls = append(calls, &planner.Call{Group: group, Seq: i % 100, ClientToken: tok, GoodsNum: 1, Params: params})
	}
	return newPlan(calls...)
}

// benchApply applies a plan of n calls against a simulator on 127.0.0.1 through the real
// client, with the real journal, and folds the journal into the state at the end.
func benchApply(b *testing.B, n int, latency time.Duration, parallelism int) {
	var commits int64
	for b.Loop() {
		b.StopTimer()
		sim, err := cvmsim.New(cvmsim.Config{Seed: 1, Latency: latency})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		c, err := cvm.New(cvm.Config{Endpoint: srv.URL + cvmsim.Path, SecretID: cvmsim.DemoSecretID, SecretKey: cvmsim.DemoSecretKey, Region: "ap-guangzhou"})
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(b.TempDir(), "fleet.state.json")
		st := state.New("bench", "ap-guangzhou")
		p := benchPlan(n)
		b.StartTimer()

		j, err := state.OpenJournal(path, st)
		if err != nil {
			b.Fatal(err)
		}
		cj := &countingJournal{j: j}
		res, err := Apply(context.Background(), p, Options{
			Client: over(WithRetry(Detach(c), RetryPolicy{})), State: st, Journal: cj, Parallelism: parallelism,
		})
		commits += cj.n.Load()
		if err != nil {
			b.Fatal(err)
		}
		if err := j.Close(); err != nil {
			b.Fatal(err)
		}
		if err := state.Write(path, st); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		if res.Bought != n || len(sim.Instances()) != n {
			b.Fatalf("bought %d (simulator: %d), want %d", res.Bought, len(sim.Instances()), n)
		}
		srv.Close()
		_ = sim.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n), "calls/op")
	b.ReportMetric(float64(commits)/float64(b.N), "commits/op")
}

// BenchmarkApply measures whole applies against the simulator: the cost of a call must not
// grow with the state (10,000 calls within 2.2 times 5,000), and with latency the calls in
// flight must overlap (1,000 calls of 50 ms at parallelism 10: near the 5 s bound).
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{5000, 10000} {
		b.Run("calls="+strconv.Itoa(n), func(b *testing.B) { benchApply(b, n, 0, DefaultParallelism) })
	}
	b.Run("calls=1000/latency=50ms/parallelism=10", func(b *testing.B) { benchApply(b, 1000, 50*time.Millisecond, 10) })
}
