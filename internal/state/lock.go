package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// LockInfo is who holds a state lock, as recorded in the lock file by the holder.
type LockInfo struct {
	PID       int       `json:"pid"`
	Host      string    `json:"host"`
	Who       string    `json:"who,omitempty"`
	Operation string    `json:"operation"`
	Created   time.Time `json:"created"`
}

func (i *LockInfo) String() string {
	if i == nil || i.PID == 0 {
		return "an unknown process"
	}
	who := ""
	if i.Who != "" {
		who = " (user " + i.Who + ")"
	}
	return fmt.Sprintf("pid %d on host %s%s (%s, since %s)", i.PID, i.Host, who, i.Operation, i.Created.UTC().Format(time.RFC3339))
}

// LockedError reports a state lock held by another process (or another open of the lock file
// in this one) after the wait allowed for it.
type LockedError struct {
	Path   string    // the lock file, or where the store's lock is
	Holder *LockInfo // nil when the holder did not record itself
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("state is locked by %s (lock %s); --lock-timeout waits for it", e.Holder, e.Path)
}

// ErrNotLocked is returned by ForceUnlock when no lock is held.
var ErrNotLocked = errors.New("no lock is held")

// LockPath returns the lock file of a state file.
func LockPath(statePath string) string { return statePath + ".lock" }

// LockHandle is a held state lock. (The function that takes it is LockFile.)
type LockHandle struct {
	path string
	f    *os.File
}

// lockPoll is how often a waiting Lock tries again.
const lockPoll = 50 * time.Millisecond

// LockFile takes the exclusive lock of the state at statePath (an flock on statePath+".lock") and
// records the holder (pid, host, operation, time) in the lock file. If another holder has
// it, LockFile tries again until timeout has passed (0: once) and then returns a *LockedError
// naming the holder; a cancelled ctx ends the wait early with ctx's error.
func LockFile(ctx context.Context, statePath, operation string, timeout time.Duration) (*LockHandle, error) {
	path := LockPath(statePath)
	deadline := time.Now().Add(timeout)
	for {
		l, err := tryLock(path, operation)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock state: %w", err)
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return nil, &LockedError{Path: path, Holder: readLockInfo(path)}
		}
		t := time.NewTimer(min(wait, lockPoll))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("lock state: waiting for %s: %w", path, ctx.Err())
		case <-t.C:
		}
	}
}

// tryLock makes one attempt. It returns an error wrapping EWOULDBLOCK when the lock is held.
func tryLock(path, operation string) (*LockHandle, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	// force-unlock may have removed the file between our open and flock: then we hold the
	// lock of a file nobody else will open, so start again on the one now at path.
	if same, err := samePath(f, path); err != nil || !same {
		f.Close()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return tryLock(path, operation)
	}
	who, host := Who()
	info, err := json.Marshal(LockInfo{PID: os.Getpid(), Host: host, Who: who, Operation: operation, Created: time.Now().UTC()})
	if err == nil {
		err = f.Truncate(0)
	}
	if err == nil {
		_, err = f.WriteAt(append(info, '\n'), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("record lock holder in %s: %w", path, err)
	}
	return &LockHandle{path: path, f: f}, nil
}

// samePath reports whether the open file f is still the file at path.
func samePath(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, pi), nil
}

// Unlock clears the holder record and releases the lock. The lock file stays: removing it
// would let a waiter lock a file that a newcomer no longer sees.
func (l *LockHandle) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	terr := l.f.Truncate(0)
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	if err == nil {
		err = terr
	}
	if err != nil {
		return fmt.Errorf("unlock state %s: %w", l.path, err)
	}
	return nil
}

// readLockInfo returns the holder recorded in a lock file, or nil.
func readLockInfo(path string) *LockInfo {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil
	}
	var info LockInfo
	if json.Unmarshal(data, &info) != nil || info.PID == 0 {
		return nil
	}
	return &info
}

// HolderAliveError is returned by ForceUnlock while the recorded holder of the lock is alive,
// or cannot be checked because it runs on another host.
type HolderAliveError struct {
	Path   string
	Holder *LockInfo
	Host   string // this host
	Hint   string // what to do when sure the holder on another host is gone; "" for a lock file
}

func (e *HolderAliveError) Error() string {
	if e.Holder.Host != e.Host && e.Hint != "" {
		return fmt.Sprintf("refusing to unlock: the lock %s is held by %s, which cannot be checked from host %s; %s", e.Path, e.Holder, e.Host, e.Hint)
	}
	if e.Holder.Host != e.Host {
		return fmt.Sprintf("refusing to unlock: the lock %s is held by %s, which cannot be checked from host %s; if you are sure that process is gone, remove %s by hand", e.Path, e.Holder, e.Host, e.Path)
	}
	return fmt.Sprintf("refusing to unlock: the lock %s is held by %s, which is still running; wait for it or stop it", e.Path, e.Holder)
}

// ForceUnlock removes the lock of the state at statePath left by a process that is gone. It
// refuses with a *HolderAliveError while the recorded holder is alive on this host (or runs
// on another host, where it cannot be checked), and returns ErrNotLocked when nothing holds
// the lock.
func ForceUnlock(statePath string) error {
	path := LockPath(statePath)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("force-unlock %s: %w", path, ErrNotLocked)
	}
	l, err := tryLock(path, "force-unlock")
	if err == nil {
		// Nothing held it: the flock of a dead process goes with it.
		if err := l.Unlock(); err != nil {
			return err
		}
		return fmt.Errorf("force-unlock %s: %w", path, ErrNotLocked)
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return fmt.Errorf("force-unlock: %w", err)
	}
	holder := readLockInfo(path)
	host, _ := os.Hostname()
	if holder == nil {
		return fmt.Errorf("force-unlock %s: the lock is held but its holder is not recorded; refusing", path)
	}
	if holder.Host != host || ProcessAlive(holder.PID) {
		return &HolderAliveError{Path: path, Holder: holder, Host: host}
	}
	// The recorded holder is dead yet the flock is held (a descriptor inherited by another
	// process): remove the file so that the next LockFile creates and takes a fresh one.
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("force-unlock: %w", err)
	}
	return nil
}

// ProcessAlive reports whether a process of this pid exists on this host.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
