package state

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// update rewrites the golden files of this package's tests.
var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const testLineage = "6f1c2a9e-58d3-4b7a-9c11-0d2e3f405162"

// hashedPassword has the form secret.Hash gives a password.
const hashedPassword = "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"

func testParams(goods int) map[string]string {
	return map[string]string{
		"cpu": "2", "mem": "4", "imageId": "img-lkxqa4kj", "imageType": "2", "period": "12",
		"instanceType": "CVM.S2", "zoneId": "100003", "storageType": "1", "storageSize": "0",
		"rootSize": "20", "bandwidthType": "PayByBandwidth", "bandwidth": "0", "wanIp": "0",
		"isVpcGateway": "0", "needSecurityAgent": "1", "needMonitorAgent": "1", "projectId": "0",
		"instanceName": "web", "password": hashedPassword, "goodsNum": fmt.Sprint(goods),
	}
}

func doneBatch(seq int, ids ...string) *Batch {
	return &Batch{
		Seq: seq, Kind: KindRun, ClientToken: fmt.Sprintf("prod-web-%d-abcdef", seq), GoodsNum: len(ids),
		Params: testParams(len(ids)), Status: StatusDone, DealIDs: []string{fmt.Sprintf("deal-%d", seq)},
		InstanceIDs: ids, Attempts: 1, CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
}

func pendingBatch(seq, goods int) *Batch {
	return &Batch{
		Seq: seq, Kind: KindRun, ClientToken: fmt.Sprintf("prod-web-%d-fedcba", seq), GoodsNum: goods,
		Params: testParams(goods), Status: StatusPending, DealIDs: []string{}, InstanceIDs: []string{},
		Attempts: 2, CreatedAt: t0, UpdatedAt: t0,
		Error: &BatchError{Message: "read tcp: i/o timeout", Class: "network"},
	}
}

func failedBatch(seq, goods int) *Batch {
	return &Batch{
		Seq: seq, Kind: KindRun, ClientToken: fmt.Sprintf("prod-web-%d-000000", seq), GoodsNum: goods,
		Params: testParams(goods), Status: StatusFailed, DealIDs: []string{}, InstanceIDs: []string{},
		Attempts: 1, CreatedAt: t0, UpdatedAt: t0,
		Error: &BatchError{Code: 4000, Name: "InvalidParameter", Message: "zoneId is invalid", Class: "parameter"},
	}
}

// sampleState is a small state with every kind of record: done, pending, failed and import
// batches, and instances of several statuses.
func sampleState() *State {
	s := &State{FormatVersion: FormatVersion, Lineage: testLineage, Serial: 4, Fleet: "prod", Region: "ap-guangzhou", Groups: map[string]*Group{}}
	s.Apply(JournalRecord{Group: "web", Batch: doneBatch(0, "ins-0000web1", "ins-0000web0")})
	s.Apply(JournalRecord{Group: "web", Batch: failedBatch(1, 3)})
	s.Apply(JournalRecord{Group: "web", Batch: pendingBatch(2, 3)})
	s.Apply(JournalRecord{Group: "db", Batch: doneBatch(0, "ins-00000db0")})
	s.Apply(JournalRecord{Group: "legacy", Batch: &Batch{Seq: 0, Kind: KindImport, GoodsNum: 1, Status: StatusDone, InstanceIDs: []string{"ins-0legacy0"}, CreatedAt: t0, UpdatedAt: t0}})
	at := t0.Add(time.Hour)
	web := s.Groups["web"]
	web.Instances[0].Status, web.Instances[0].StatusAt = InstanceRunning, &at
	web.Instances[1].Status, web.Instances[1].StatusAt = InstanceReturned, &at
	s.normalize()
	return s
}

// refreshedState returns sampleState with what a refresh records per instance: zone,
// addresses, deadline and renew flag, one instance with each kind of value left unknown.
func refreshedState() *State {
	s := sampleState()
	at := t0.Add(2 * time.Hour)
	deadline := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	auto, notify := AutoRenewAuto, AutoRenewNotify
	web := s.Groups["web"]
	web.Instances[0].StatusAt = &at
	web.Instances[0].ZoneID = 100003
	web.Instances[0].PrivateIPs = []string{"10.0.0.7", "10.0.1.7"}
	web.Instances[0].PublicIPs = []string{"203.0.113.7"}
	web.Instances[0].Deadline = &deadline
	web.Instances[0].AutoRenew = &auto
	web.Instances[1].ZoneID = 100004
	web.Instances[1].AutoRenew = &notify // 0 is a value, written as such
	db := s.Groups["db"].Instances[0]
	db.Status, db.StatusAt, db.ZoneID = InstanceRunning, &at, 100003
	db.PrivateIPs = []string{"10.0.2.9"}
	s.normalize()
	return s
}

// writeFile writes data at path, failing the test on error.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// statePath returns a state file path in a new temporary directory.
func statePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "fleet.state.json")
}
