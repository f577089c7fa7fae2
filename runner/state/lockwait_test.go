//go:build linux

package state

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWaitLockIsWokenByRelease: waiting for an earlier holder's lock is a
// wait the kernel ends when the holder lets go; a wait given up leaves the
// lock free for others once the holder lets go.
func TestWaitLockIsWokenByRelease(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	holder, _ := Open(root, true)
	if ok, err := holder.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	waiter, _ := Open(root, true)

	// Given up while held.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, err := waiter.waitLock(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait on a held lock: %v", err)
	}

	// Woken by the release.
	got := make(chan error, 1)
	go func() {
		f, err := waiter.waitLock(context.Background())
		if err == nil {
			waiter.hold(f)
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("took a held lock: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	released := time.Now()
	holder.Unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the wait was not woken by the release")
	}
	t.Logf("taken %s after the release", time.Since(released))
	if held, pid := holder.Held(); !held || pid == 0 {
		t.Fatalf("after the wait: held %v by %d", held, pid)
	}
	waiter.Unlock()

	// The waiter given up above got the lock meanwhile and let it go.
	third, _ := Open(root, true)
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := third.TryLock()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a given-up wait kept the lock")
		}
		time.Sleep(time.Millisecond)
	}
	third.Unlock()
}

// TestSettledWaitsForANamelessHolder: a lock held while memory.json names
// no supervisor (one that has just stopped clears its name before its exit
// lets the lock go) is waited for, not refused at once ("locked by pid 0").
func TestSettledWaitsForANamelessHolder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	holder, _ := Open(root, true)
	if ok, err := holder.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	if err := holder.SaveMemory(&Memory{}); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, holder.Unlock)
	starter, _ := Open(root, true)
	ok, err := starter.TryLockSettled(context.Background())
	if !ok || err != nil {
		t.Fatalf("a lock let go 300ms later was not waited for: %v %v", ok, err)
	}
	starter.Unlock()
}
