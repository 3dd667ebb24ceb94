package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"time"
)

// Store holds the state of one fleet. Commands hold a Store and never learn whether it is a
// file or a database: the file store (FileStore) and the PostgreSQL store (package pgstore)
// implement it and pass one conformance suite (package statetest).
//
// A command that writes takes the lock first and keeps it until it is done; Read needs no
// lock. A Store is used by one command at a time and is not safe for concurrent use, except
// for the Journal it opens, whose Append may be called from many goroutines.
type Store interface {
	// Where names the state for messages: a file path, or a database schema and fleet.
	Where() string
	// Lock takes the exclusive lock of the state for operation, waiting up to timeout
	// (0: one try), and returns a *LockedError naming the holder when it cannot.
	Lock(ctx context.Context, operation string, timeout time.Duration) (Lock, error)
	// Read returns the state with its journal replayed, and its Version set. A store that
	// holds no state yet returns an error that matches ErrNoState.
	Read(ctx context.Context) (*State, error)
	// Write saves the whole state: its serial goes up by one, the journal is folded in, and a
	// version is recorded with the change. It refuses a state that breaks the invariants.
	Write(ctx context.Context, s *State, c Change) error
	// OpenJournal starts the journal of an apply on s, as read by Read (or new). Records of
	// an earlier journal that s holds are kept.
	OpenJournal(ctx context.Context, s *State) (Journal, error)
	// ForceUnlock removes a lock whose holder is gone. It returns ErrNotLocked when nothing
	// holds the lock, and a *HolderAliveError while the holder lives or cannot be checked.
	ForceUnlock(ctx context.Context) error
	// History lists the recorded versions of the state, newest first, at most limit (0: all).
	History(ctx context.Context, limit int) ([]Version, error)
	// Close releases what the store holds (connections); a held lock is released too.
	Close() error
}

// Lock is a held state lock.
type Lock interface {
	Unlock() error
}

// Journal is the write-ahead journal of one apply: a record is durable before Append
// returns, and records of concurrent Appends are committed together.
type Journal interface {
	Append(recs ...JournalRecord) error
	Close() error
}

// ErrNoState matches the error of Read on a store that holds no state yet. It also matches
// fs.ErrNotExist.
var ErrNoState = fmt.Errorf("no state yet: %w", fs.ErrNotExist)

// ErrLockLost is returned (wrapped) by a write made after the store lost its lock: another
// process may hold it now, so nothing more is written.
var ErrLockLost = errors.New("the state lock was lost")

// Change describes a write for the state's history.
type Change struct {
	Operation string // the command: apply, import, state rm, ...
	Summary   string // one line: "bought 12 instances in 2 groups"
}

// Version is one recorded change of the state.
type Version struct {
	Serial    uint64    `json:"serial"`
	Lineage   string    `json:"lineage"`
	Time      time.Time `json:"time"`
	Who       string    `json:"who"`
	Host      string    `json:"host"`
	Operation string    `json:"operation"`
	Summary   string    `json:"summary"`
}

// Who returns the user name and host of this process, for lock holders and versions.
func Who() (who, host string) {
	host, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if who == "" {
		who = os.Getenv("USER")
	}
	return who, host
}
