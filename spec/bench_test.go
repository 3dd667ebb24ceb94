package spec

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

const (
	benchGroups = 20000
	benchFiles  = 8
)

// benchSpec returns a fleet of benchGroups groups spread over benchFiles files. With
// defaults, every group sets only count and the rest comes from a defaults block; without,
// every group writes seven attributes.
func benchSpec(defaults bool) []File {
	files := make([]File, benchFiles)
	per := benchGroups / benchFiles
	for i := range files {
		var b strings.Builder
		if i == 0 {
			b.WriteString("fleet \"bench\" {\n  region     = \"ap-guangzhou\"\n  project_id = 0\n}\n\n")
			if defaults {
				b.WriteString("defaults {\n  cpu           = 2\n  mem           = 4\n  image_id      = \"img-lkxqa4kj\"\n  period        = 12\n  instance_type = \"CVM.S2\"\n  zone_id       = 100003\n}\n\n")
			}
		}
		for j := range per {
			n := i*per + j
			if defaults {
				fmt.Fprintf(&b, "group \"g%05d\" {\n  count = %d\n}\n\n", n, 1+n%7)
				continue
			}
			fmt.Fprintf(&b, "group \"g%05d\" {\n  count         = %d\n  cpu           = 2\n  mem           = 4\n  image_id      = \"img-lkxqa4kj\"\n  period        = 12\n  instance_type = \"CVM.S2\"\n  zone_id       = %d\n}\n\n",
				n, 1+n%7, 100003+n%2)
		}
		files[i] = File{Name: fmt.Sprintf("part%d.fleet.hcl", i), Src: []byte(b.String())}
	}
	return files
}

func specSize(files []File) int {
	n := 0
	for _, f := range files {
		n += len(f.Src)
	}
	return n
}

func benchLoad(b *testing.B, defaults bool) {
	files := benchSpec(defaults)
	measure(b, files, func() {
		f, diags := Load(files, Inputs{})
		if diags.HasErrors() {
			b.Fatalf("unexpected errors: %v", diags[0])
		}
		if len(f.Groups) != benchGroups {
			b.Fatalf("got %d groups, want %d", len(f.Groups), benchGroups)
		}
	})
}

// measure runs op b.N times and reports, besides time and allocations, the processor time
// per op (steadier than wall time on a busy machine) and the peak of the heap's objects.
func measure(b *testing.B, files []File, op func()) {
	b.SetBytes(int64(specSize(files)))
	b.ReportAllocs()
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		op()
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	close(stop)
	<-done
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(peak.Load())/1e6, "peak-heap-MB")
}

// BenchmarkLoadFull loads 20,000 groups that write seven attributes each.
func BenchmarkLoadFull(b *testing.B) { benchLoad(b, false) }

// BenchmarkLoadDefaults loads 20,000 groups that set only count under a defaults block.
func BenchmarkLoadDefaults(b *testing.B) { benchLoad(b, true) }

// BenchmarkFloor is what Load cannot go below: hclparse alone parsing the same files and
// evaluating every attribute of every block.
func BenchmarkFloor(b *testing.B) {
	for _, defaults := range []bool{false, true} {
		name := "full"
		if defaults {
			name = "defaults"
		}
		b.Run(name, func(b *testing.B) {
			files := benchSpec(defaults)
			measure(b, files, func() {
				p := hclparse.NewParser()
				n := 0
				for _, f := range files {
					file, diags := p.ParseHCL(f.Src, f.Name)
					if diags.HasErrors() {
						b.Fatal(diags)
					}
					n += evalAll(b, file.Body)
				}
				if n < benchGroups {
					b.Fatalf("evaluated %d attributes, want at least %d", n, benchGroups)
				}
			})
		})
	}
}

// evalAll evaluates every attribute of every block of a body and returns how many there were.
func evalAll(b *testing.B, body hcl.Body) int {
	content, _, diags := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "fleet", LabelNames: []string{"name"}}, {Type: "defaults"}, {Type: "group", LabelNames: []string{"name"}},
	}})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	n := 0
	for _, blk := range content.Blocks {
		attrs, diags := blk.Body.JustAttributes()
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		for _, a := range attrs {
			if _, diags := a.Expr.Value(nil); diags.HasErrors() {
				b.Fatal(diags)
			}
			n++
		}
	}
	return n
}
