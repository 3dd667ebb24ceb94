package state

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestLockTwoHolders(t *testing.T) {
	path := statePath(t)
	l1, err := LockFile(context.Background(), path, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	// A second open of the lock file in the same process is a second holder for flock.
	_, err = LockFile(context.Background(), path, "plan", 0)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: got %v, want a *LockedError", err)
	}
	if le.Holder == nil || le.Holder.PID != os.Getpid() || le.Holder.Operation != "apply" {
		t.Errorf("holder = %+v, want this process's apply", le.Holder)
	}
	host, _ := os.Hostname()
	for _, w := range []string{"pid", host, "apply", LockPath(path)} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
	if err := l1.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockFile(context.Background(), path, "plan", 0)
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	if err := l2.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l2.Unlock(); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
}

func TestLockWaits(t *testing.T) {
	path := statePath(t)
	l1, err := LockFile(context.Background(), path, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		l1.Unlock()
		close(released)
	}()
	l2, err := LockFile(context.Background(), path, "apply", time.Minute)
	if err != nil {
		t.Fatalf("Lock with a timeout while the holder lets go: %v", err)
	}
	<-released
	l2.Unlock()
}

func TestLockCancelled(t *testing.T) {
	path := statePath(t)
	l1, err := LockFile(context.Background(), path, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LockFile(ctx, path, "apply", time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with a cancelled context: got %v, want context.Canceled", err)
	}
}

func TestForceUnlockRefusesLiveHolder(t *testing.T) {
	path := statePath(t)
	l, err := LockFile(context.Background(), path, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	err = ForceUnlock(path)
	var ae *HolderAliveError
	if !errors.As(err, &ae) || ae.Holder.PID != os.Getpid() {
		t.Fatalf("ForceUnlock of a live holder: got %v, want a *HolderAliveError for this process", err)
	}
	if !strings.Contains(err.Error(), "still running") {
		t.Errorf("error %q does not say the holder is running", err)
	}
	if _, err := LockFile(context.Background(), path, "plan", 0); err == nil {
		t.Errorf("the lock was released by a refused ForceUnlock")
	}
}

// TestForceUnlockDeadHolder records a dead pid as the holder while the flock stays held (a
// descriptor kept by another process): ForceUnlock removes the lock and Lock works again.
func TestForceUnlockDeadHolder(t *testing.T) {
	path := statePath(t)
	l, err := LockFile(context.Background(), path, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run a child process: %v", err)
	}
	host, _ := os.Hostname()
	setHolder(t, l, LockInfo{PID: cmd.Process.Pid, Host: host, Operation: "apply", Created: t0})
	if err := ForceUnlock(path); err != nil {
		t.Fatalf("ForceUnlock of a dead holder: %v", err)
	}
	l2, err := LockFile(context.Background(), path, "plan", 0)
	if err != nil {
		t.Fatalf("Lock after ForceUnlock: %v", err)
	}
	l2.Unlock()
}

func TestForceUnlockOtherHost(t *testing.T) {
	path := statePath(t)
	l, err := LockFile(context.Background(), path, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	setHolder(t, l, LockInfo{PID: 1, Host: "ci-runner-7", Operation: "apply", Created: t0})
	err = ForceUnlock(path)
	var ae *HolderAliveError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "cannot be checked") {
		t.Fatalf("ForceUnlock of another host's lock: got %v", err)
	}
}

func TestForceUnlockNotLocked(t *testing.T) {
	path := statePath(t)
	if err := ForceUnlock(path); !errors.Is(err, ErrNotLocked) {
		t.Errorf("ForceUnlock without a lock file: got %v, want ErrNotLocked", err)
	}
	l, err := LockFile(context.Background(), path, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	if err := ForceUnlock(path); !errors.Is(err, ErrNotLocked) {
		t.Errorf("ForceUnlock of a released lock: got %v, want ErrNotLocked", err)
	}
}

// setHolder overwrites the holder recorded in a held lock.
func setHolder(t *testing.T, l *LockHandle, info LockInfo) {
	t.Helper()
	data, _ := json.Marshal(info)
	if err := l.f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
}
