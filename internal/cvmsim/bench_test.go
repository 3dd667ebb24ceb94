package cvmsim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fleet/internal/cvm"
)

// BenchmarkRunInstances measures the simulator serving RunInstances over loopback, with no
// latency: several goroutines each send signed POSTs, every one a new purchase with its own
// clientToken. It reports calls a second.
func BenchmarkRunInstances(b *testing.B) {
	sim, err := New(Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	u, _ := url.Parse(srv.URL + Path)
	var seq atomic.Uint64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			p := runParams()
			p["Action"] = "RunInstances"
			p["Region"] = "ap-guangzhou"
			p["SecretId"] = DemoSecretID
			p["SignatureMethod"] = "HmacSHA256"
			p["Nonce"] = strconv.FormatUint(n, 10)
			p["Timestamp"] = strconv.FormatInt(time.Now().Unix(), 10)
			p["clientToken"] = "bench-" + strconv.FormatUint(n, 10)
			p["Signature"] = cvm.Sign(cvm.StringToSign("POST", u.Hostname(), Path, p), DemoSecretKey, "HmacSHA256")
			form := url.Values{}
			for k, v := range p {
				form.Set(k, v)
			}
			resp, err := client.Post(u.String(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
			if err != nil {
				b.Error(err)
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !strings.Contains(string(body), `"code":0`) {
				b.Errorf("answer %s, %v", body, err)
				return
			}
		}
	})
	b.StopTimer()
	if s := time.Since(start).Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "calls/s")
	}
	if got := sim.Purchases(); got != b.N {
		b.Errorf("purchases: got %d, want %d", got, b.N)
	}
}
