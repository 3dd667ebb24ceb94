package workflow

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fleet/internal/state"
)

// ErrNoState is returned by the workflows that need a state when the store holds none.
var ErrNoState = errors.New("no state")

// existing reads the store's state for a workflow that needs one.
func existing(ctx context.Context, s state.Store) (*state.State, error) {
	st, err := s.Read(ctx)
	if errors.Is(err, state.ErrNoState) {
		return nil, fmt.Errorf("%w at %s: nothing was bought or imported yet", ErrNoState, s.Where())
	}
	return st, err
}

// FindGroup returns the named group of st, or an error naming the groups there are.
func FindGroup(st *state.State, where, name string) (*state.Group, error) {
	if grp := st.Group(name); grp != nil {
		return grp, nil
	}
	names := st.GroupNames()
	if len(names) == 0 {
		return nil, fmt.Errorf("no group %q in %s: it records no groups", name, where)
	}
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return nil, fmt.Errorf("no group %q in %s (groups: %s)", name, where, strings.Join(names, ", "))
}

// RmResult is what StateRm removed.
type RmResult struct {
	Instances int // instances forgotten
	Current   int // of which not known to be gone: they keep running and being billed
	Serial    uint64
}

// StateRm removes a group's record under the lock. A group with pending calls is refused
// unless force is set.
func StateRm(ctx context.Context, env Env, name string, force bool) (*RmResult, error) {
	var res *RmResult
	err := locked(ctx, env, "state rm", func() error {
		st, err := existing(ctx, env.Store)
		if err != nil {
			return err
		}
		grp, err := FindGroup(st, env.Store.Where(), name)
		if err != nil {
			return err
		}
		if pending := grp.PendingBatches(); len(pending) > 0 && !force {
			seqs := make([]string, len(pending))
			for i, b := range pending {
				seqs[i] = fmt.Sprint(b.Seq)
			}
			return fmt.Errorf("group %q has %s whose outcome is unknown (call %s): run \"fleet apply\" to resolve it first, or use --force to forget it anyway",
				name, countNoun(len(pending), "pending call"), strings.Join(seqs, ", "))
		}
		res = &RmResult{Instances: len(grp.Instances), Current: grp.Current()}
		st.RemoveGroup(name)
		if err := env.Store.Write(ctx, st, state.Change{Operation: "state rm", Summary: fmt.Sprintf("removed group %s (%s)", name, countNoun(res.Instances, "instance"))}); err != nil {
			return err
		}
		res.Serial = st.Serial
		return nil
	})
	return res, err
}

// StateMv renames a group's record under the lock: its calls keep their recorded client
// tokens and markers, so nothing is bought again for it. The destination must not be
// recorded.
func StateMv(ctx context.Context, env Env, from, to string) (*state.State, error) {
	if from == to {
		return nil, fmt.Errorf("state mv: %q is already the group's name", from)
	}
	if to == "" {
		return nil, errors.New("state mv: empty destination name")
	}
	var out *state.State
	err := locked(ctx, env, "state mv", func() error {
		st, err := existing(ctx, env.Store)
		if err != nil {
			return err
		}
		grp, err := FindGroup(st, env.Store.Where(), from)
		if err != nil {
			return err
		}
		if st.Group(to) != nil {
			return fmt.Errorf("state mv: group %q is already recorded in %s; remove or move it first", to, env.Store.Where())
		}
		delete(st.Groups, from)
		st.Groups[to] = grp
		if err := env.Store.Write(ctx, st, state.Change{Operation: "state mv", Summary: fmt.Sprintf("moved group %s to %s (%s)", from, to, countNoun(len(grp.Instances), "instance"))}); err != nil {
			return err
		}
		out = st
		return nil
	})
	return out, err
}

// StatePush loads a state (read from a state file) into the store, under its lock. It is
// refused when the store holds a state of another lineage, or a later serial: pushing would
// lose the record of purchases.
func StatePush(ctx context.Context, env Env, in *state.State) error {
	return locked(ctx, env, "state push", func() error {
		cur, err := readState(ctx, env.Store)
		if err != nil {
			return err
		}
		if cur != nil {
			switch {
			case cur.Lineage != in.Lineage:
				return fmt.Errorf("state push refused: %s holds another state (lineage %s; the file has lineage %s); it records purchases the file does not", env.Store.Where(), cur.Lineage, in.Lineage)
			case cur.Serial > in.Serial:
				return fmt.Errorf("state push refused: %s holds a later state (serial %d; the file has serial %d)", env.Store.Where(), cur.Serial, in.Serial)
			case cur.Journaled > 0:
				return fmt.Errorf("state push refused: %s has %s of an interrupted apply; run \"fleet apply\" to resolve them first", env.Store.Where(), countNoun(cur.Journaled, "journal record"))
			}
		}
		if in.Fleet != "" && cur != nil && cur.Fleet != in.Fleet {
			return fmt.Errorf("state push refused: the file is fleet %q, the store holds fleet %q", in.Fleet, cur.Fleet)
		}
		return env.Store.Write(ctx, in, state.Change{Operation: "state push", Summary: fmt.Sprintf("pushed a state of %s in %s", countNoun(in.InstanceCount(), "instance"), countNoun(len(in.Groups), "group"))})
	})
}

// StatePull reads the store's state, its journal replayed, for printing as a state file.
func StatePull(ctx context.Context, env Env) (*state.State, error) {
	return existing(ctx, env.Store)
}

// History lists the state's versions, newest first.
func History(ctx context.Context, env Env, limit int) ([]state.Version, error) {
	return env.Store.History(ctx, limit)
}

// ForceUnlock removes a lock whose holder is gone.
func ForceUnlock(ctx context.Context, env Env) error {
	return env.Store.ForceUnlock(ctx)
}
