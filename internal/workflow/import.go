package workflow

import (
	"context"
	"fmt"
	"regexp"

	"fleet/executor"
	"fleet/internal/catalog"
	"fleet/internal/cvm"
	"fleet/internal/state"
	"fleet/spec"
)

// instanceIDPattern is the form of an instance id (unInstanceId).
var instanceIDPattern = regexp.MustCompile(`^ins-[0-9a-z]{8}$`)

// Problem is why one instance id cannot be imported.
type Problem struct {
	ID, Why string
}

// ImportResult is what Import recorded, or why it recorded nothing.
type ImportResult struct {
	Problems []Problem               // when any, nothing was imported
	Seq      int                     // the import batch's seq
	Found    map[string]cvm.Instance // what DescribeInstances said of each id
	Current  int                     // the group's current instances after the import
	Serial   uint64
}

// Import records instances bought elsewhere as one import batch of group g of fleet f, under
// the lock, after checking with DescribeInstances that each exists, lives, and is in a zone
// of the region, and that the state records none of them. If any id is refused nothing is
// imported and the result lists the problems.
func Import(ctx context.Context, env Env, f *spec.Fleet, g *spec.Group, ids []string) (*ImportResult, error) {
	res := &ImportResult{}
	seen := map[string]bool{}
	var wanted []string
	for _, id := range ids {
		switch {
		case !instanceIDPattern.MatchString(id):
			res.Problems = append(res.Problems, Problem{id, "not an instance id: want ins- and 8 lowercase letters or digits"})
		case seen[id]:
			res.Problems = append(res.Problems, Problem{id, "given more than once"})
		default:
			wanted = append(wanted, id)
		}
		seen[id] = true
	}
	err := locked(ctx, env, "import", func() error {
		st, err := readState(ctx, env.Store)
		switch {
		case err != nil:
			return err
		case st == nil:
			st = state.New(f.Name, f.Region)
		case st.Fleet != f.Name || st.Region != f.Region:
			return fmt.Errorf("import: the state %s records fleet %q in %s, but the spec is fleet %q in %s (nothing was imported)", env.Store.Where(), st.Fleet, st.Region, f.Name, f.Region)
		}
		var ask []string
		for _, id := range wanted {
			if other, ok := st.InstanceGroup(id); ok {
				why := fmt.Sprintf("already recorded in group %s; an instance belongs to one group", other)
				if other == g.Name {
					why = fmt.Sprintf("already recorded in group %s", other)
				}
				res.Problems = append(res.Problems, Problem{id, why})
				continue
			}
			ask = append(ask, id)
		}
		if len(ask) > 0 {
			c, err := env.client(st.Region)
			if err != nil {
				return err
			}
			if res.Found, err = executor.DescribeByID(ctx, c, ask); err != nil {
				return fmt.Errorf("import: %w (nothing was imported)", err)
			}
		}
		region, _ := catalog.Default().Region(st.Region)
		for _, id := range ask {
			inst, ok := res.Found[id]
			switch {
			case !ok:
				res.Problems = append(res.Problems, Problem{id, fmt.Sprintf("not found in %s: check the id, the region and the credentials", st.Region)})
			case (&state.Instance{Status: inst.Status}).Gone():
				res.Problems = append(res.Problems, Problem{id, fmt.Sprintf("is %s (status %d): only a live instance can be imported", executor.StatusName(inst.Status), inst.Status)})
			case region != nil && inst.ZoneID != 0 && !region.HasZone(inst.ZoneID):
				res.Problems = append(res.Problems, Problem{id, fmt.Sprintf("is in zone %d, not a zone of %s", inst.ZoneID, st.Region)})
			}
		}
		if len(res.Problems) > 0 {
			return nil
		}
		ids := wanted
		now := env.now().UTC()
		if grp := st.Groups[g.Name]; grp != nil {
			res.Seq = grp.NextSeq()
		}
		st.Apply(state.JournalRecord{Group: g.Name, Batch: &state.Batch{
			Seq:         res.Seq,
			Kind:        state.KindImport,
			GoodsNum:    len(ids),
			Status:      state.StatusDone,
			DealIDs:     []string{},
			InstanceIDs: ids,
			CreatedAt:   now,
			UpdatedAt:   now,
		}})
		grp := st.Groups[g.Name]
		for _, id := range ids {
			executor.RecordRead(grp.Instance(id), res.Found[id], now)
		}
		if err := env.Store.Write(ctx, st, state.Change{Operation: "import", Summary: fmt.Sprintf("imported %s into group %s", countNoun(len(ids), "instance"), g.Name)}); err != nil {
			return err
		}
		res.Current, res.Serial = grp.Current(), st.Serial
		return nil
	})
	return res, err
}
