package pgstore

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"fleet/executor"
	"fleet/internal/cvm"
	"fleet/internal/cvmsim"
	"fleet/internal/state"
	"fleet/planner"
	"fleet/spec"
)

// benchPlan returns a plan of n calls of one instance each, 100 calls a group.
func benchPlan(n int) *planner.Plan {
	cfg := spec.Config{
		CPU: 1, Mem: 2, ImageID: "img-31tjrtph", ImageType: "public", Period: 1, InstanceType: "CVM.S2",
		ZoneID: 100003, StorageType: "local", RootSize: 20, OS: "linux", BandwidthType: "PayByBandwidth",
		KeyID: "skey-3glfot13", SecurityAgent: true, MonitorAgent: true,
	}
	p := &planner.Plan{Fleet: "bench", Region: "ap-guangzhou"}
	for i := range n {
		name := fmt.Sprintf("g%04d", i/100)
		if i%100 == 0 {
			p.Groups = append(p.Groups, &planner.GroupPlan{Name: name, Action: planner.ActionPurchase})
		}
		g := p.Groups[len(p.Groups)-1]
		cfg.InstanceName = name
		params := cfg.Params()
		params["goodsNum"] = "1"
		tok := planner.Token("bench", "ap-guangzhou", 0, name, i%100, params)
		params["clientToken"] = tok
		g.Calls = append(g.Calls, &planner.Call{Group: name, Seq: i % 100, ClientToken: tok, GoodsNum: 1, Params: params})
		g.Desired++
		g.Purchase++
	}
	p.Summary = planner.Summary{Purchase: n, Calls: n, InstanceMonths: n}
	return p
}

// benchApplyStore applies a plan of n calls against a simulator on 127.0.0.1 without
// latency, at parallelism 16, with the store's journal, and writes the state at the end:
// what fleet apply does once it has the lock.
func benchApplyStore(b *testing.B, n int, open func(b *testing.B) state.Store) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		sim, err := cvmsim.New(cvmsim.Config{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		c, err := cvm.New(cvm.Config{Endpoint: srv.URL + cvmsim.Path, SecretID: cvmsim.DemoSecretID, SecretKey: cvmsim.DemoSecretKey, Region: "ap-guangzhou"})
		if err != nil {
			b.Fatal(err)
		}
		store := open(b)
		l, err := store.Lock(ctx, "apply", time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		st := state.New("bench", "ap-guangzhou")
		p := benchPlan(n)
		b.StartTimer()

		j, err := store.OpenJournal(ctx, st)
		if err != nil {
			b.Fatal(err)
		}
		res, err := executor.Apply(ctx, p, executor.Options{
			Client: cvm.API{CVM: executor.WithRetry(executor.Detach(c), executor.RetryPolicy{})}, State: st, Journal: j, Parallelism: 16,
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := j.Close(); err != nil {
			b.Fatal(err)
		}
		if err := store.Write(ctx, st, state.Change{Operation: "apply"}); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		if res.Bought != n || len(sim.Instances()) != n {
			b.Fatalf("bought %d (simulator: %d), want %d", res.Bought, len(sim.Instances()), n)
		}
		_ = l.Unlock()
		_ = store.Close()
		srv.Close()
		_ = sim.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n), "calls/op")
}

// BenchmarkApplyStore compares whole applies on the two stores: the PostgreSQL store must
// stay within 2 times the file store, and 10,000 calls within 2.2 times 5,000 (a record's
// cost must not grow with the state).
func BenchmarkApplyStore(b *testing.B) {
	var n int
	for _, calls := range []int{5000, 10000} {
		b.Run("store=file/calls="+strconv.Itoa(calls), func(b *testing.B) {
			benchApplyStore(b, calls, func(b *testing.B) state.Store {
				s, err := state.NewFileStore(filepath.Join(b.TempDir(), "fleet.state.json"))
				if err != nil {
					b.Fatal(err)
				}
				return s
			})
		})
		b.Run("store=postgres/calls="+strconv.Itoa(calls), func(b *testing.B) {
			u, err := srv.NewDatabase(fmt.Sprintf("bench_%d", n))
			n++
			if err != nil {
				b.Fatal(err)
			}
			benchApplyStore(b, calls, func(b *testing.B) state.Store {
				s, err := Open(u, fmt.Sprintf("s%d", time.Now().UnixNano()), "bench")
				if err != nil {
					b.Fatal(err)
				}
				return s
			})
		})
	}
}

// BenchmarkLock takes and releases the lock of a store that is already connected, as every
// command that writes does once.
func BenchmarkLock(b *testing.B) {
	u, err := srv.NewDatabase("bench_lock")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(u, "", "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Read(ctx); err == nil {
		b.Fatal("want an empty store")
	}
	for b.Loop() {
		l, err := s.Lock(ctx, "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Unlock(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenLock is what a command pays for its lock from nothing: a connection, the
// schema check, the lock taken and released, the connection closed.
func BenchmarkOpenLock(b *testing.B) {
	u, err := srv.NewDatabase("bench_open_lock")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		s, err := Open(u, "", "bench")
		if err != nil {
			b.Fatal(err)
		}
		l, err := s.Lock(ctx, "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Unlock(); err != nil {
			b.Fatal(err)
		}
		_ = s.Close()
	}
}
