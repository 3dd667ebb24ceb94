package workflow

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"fleet/executor"
	"fleet/internal/state"
	"fleet/internal/state/statetest"
	"fleet/planner"
	"fleet/spec"
)

// nopView is an ApplyView that shows nothing and approves.
type nopView struct{ plans int }

func (*nopView) Diagnostics(hcl.Diagnostics)         {}
func (v *nopView) Plan(*planner.Plan) error          { v.plans++; return nil }
func (*nopView) Approve(*planner.Plan) (bool, error) { return true, nil }
func (*nopView) Event(executor.Event)                {}
func (*nopView) Saved(string, uint64)                {}
func (*nopView) Summary(*executor.Result)            {}
func (*nopView) Waited(WaitCounts)                   {}

const twoWeb = `
fleet "prod" {
  region = "ap-guangzhou"
}

group "web" {
  count         = 2
  instance_type = "CVM.S2"
  cpu           = 2
  mem           = 4
  image_id      = "img-lkxqa4kj"
  period        = 12
  zone_id       = 100003
  key_id        = "skey-3glfot13"
}
`

func loadFleet(t *testing.T, src string) *spec.Fleet {
	t.Helper()
	f, diags := spec.Load([]spec.File{{Name: "main.fleet.hcl", Src: []byte(src)}}, spec.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return f
}

// fileEnv returns the environment of a state file in a new directory, without a cloud.
func fileEnv(t *testing.T) (Env, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleet.state.json")
	store, err := state.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return Env{Store: store, Now: time.Now, LockTimeout: time.Second}, path
}

// An apply with nothing to do still folds in the journal an interrupted apply left, so the
// records do not wait for the next purchase.
func TestApplyFoldsLeftJournal(t *testing.T) {
	ctx := context.Background()
	env, path := fileEnv(t)
	st := state.New("prod", "ap-guangzhou")
	if err := state.Write(path, st); err != nil {
		t.Fatal(err)
	}
	// An apply that bought web's two instances, then died before folding its journal.
	j, err := state.OpenJournal(path, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(state.JournalRecord{Group: "web", Batch: statetest.Done(0, "web", "ins-0000web0", "ins-0000web1")}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()

	v := &nopView{}
	res, err := Apply(ctx, env, ApplyInput{Fleet: loadFleet(t, twoWeb)}, v)
	if err != nil || res != nil || v.plans != 1 {
		t.Fatalf("apply with nothing to do: result %v, error %v, %d plans shown", res, err, v.plans)
	}
	if _, err := os.Stat(state.JournalPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal is still there (%v)", err)
	}
	got, err := state.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 2 || got.Journaled != 0 || len(got.Groups["web"].Instances) != 2 {
		t.Errorf("state serial %d, %d journal records, %d instances; want serial 2 with the two instances folded in", got.Serial, got.Journaled, len(got.Groups["web"].Instances))
	}
}

// state mv renames a group's record without touching its calls' recorded identity, and
// refuses to move onto a recorded group.
func TestStateMv(t *testing.T) {
	ctx := context.Background()
	env, path := fileEnv(t)
	st := statetest.Sample("prod")
	if err := state.Write(path, st); err != nil {
		t.Fatal(err)
	}
	if _, err := StateMv(ctx, env, "web", "db"); err == nil {
		t.Error("move onto a recorded group succeeded")
	}
	before := st.Groups["web"].Batches[0].ClientToken
	got, err := StateMv(ctx, env, "web", "frontend")
	if err != nil {
		t.Fatal(err)
	}
	if got.Groups["web"] != nil || got.Groups["frontend"] == nil || got.Groups["frontend"].Batches[0].ClientToken != before {
		t.Errorf("after the move: %v", got.GroupNames())
	}
	hist, err := History(ctx, env, 1)
	if err != nil || len(hist) != 1 || hist[0].Operation != "state mv" {
		t.Errorf("history: %+v, %v", hist, err)
	}
}
