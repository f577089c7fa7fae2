package state

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hiverun/hiverun/runner/proc"
)

const lockName = "lock"

func (d *Dir) openLock() (*os.File, error) {
	p := filepath.Join(d.Path, lockName)
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, &Error{Path: p, Msg: "is a symlink; hiverun does not follow it (remove it and run again)"}
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		return nil, &Error{Path: p, Msg: err.Error()}
	}
	return f, nil
}

// TryLock takes the supervisor lock, so that two supervisors never run in
// one folder, and tidies the temp files a killed holder left. It reports
// false when a live supervisor holds it.
func (d *Dir) TryLock() (bool, error) {
	if d.lock != nil {
		return true, nil
	}
	f, err := d.openLock()
	if err != nil {
		return false, err
	}
	ok, err := lockFile(f)
	if err != nil || !ok {
		f.Close()
		return false, err
	}
	d.hold(f)
	return true, nil
}

// hold keeps f, whose lock is taken, as the folder's lock, and tidies the
// temp files a killed holder left.
func (d *Dir) hold(f *os.File) {
	// The pid is for people reading the folder; the lock is what counts.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	d.lock = f
	d.removeTemps(d.Path)
	d.removeTemps(filepath.Join(d.Path, "pids"))
}

// waitLock waits until no other process holds the lock and takes it on a
// file of its own, or gives up when ctx ends. The kernel wakes the wait
// when the holder lets go (or dies): no polling.
func (d *Dir) waitLock(ctx context.Context) (*os.File, error) {
	f, err := d.openLock()
	if err != nil {
		return nil, err
	}
	got := make(chan error, 1)
	go func() { got <- lockFileWait(f) }()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, &Error{Path: f.Name(), Msg: err.Error()}
		}
		return f, nil
	case <-ctx.Done():
		// A lock wait cannot be cut short: the waiter lets go of the
		// lock the moment it gets it, so that nobody is kept out.
		go func() {
			<-got
			f.Close()
		}()
		return nil, ctx.Err()
	}
}

// settleWait bounds how long a lock held by a supervisor that is no longer
// alive may take to be let go.
const settleWait = 2 * time.Second

// TryLockSettled is TryLock for a folder whose supervisor may have just
// been killed. A process killed with SIGKILL shows as a zombie as soon as
// its main thread is gone, while its other threads, which share its open
// files, are still being torn down: its lock is let go a moment later.
// When memory.json names a supervisor that is no longer alive, it waits
// (in the kernel, at most settleWait) for that moment. So it does when
// memory.json names none: a supervisor that has just stopped clears its
// name before its exit lets the lock go, and a starting one was refused
// in that moment ("locked by pid 0").
func (d *Dir) TryLockSettled(ctx context.Context) (bool, error) {
	ok, err := d.TryLock()
	if ok || err != nil {
		return ok, err
	}
	mem, err := d.LoadMemory()
	if err != nil || mem.Supervisor != nil && proc.Ours(mem.Supervisor.PID, mem.Supervisor.CreateTime) {
		return false, nil
	}
	wctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	f, err := d.waitLock(wctx)
	if err != nil {
		return false, nil
	}
	d.hold(f)
	return true, nil
}

// Unlock releases the supervisor lock.
func (d *Dir) Unlock() {
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
}

// Held reports whether a live supervisor (another process) holds the lock,
// and the pid it wrote there.
func (d *Dir) Held() (bool, int) {
	f, err := d.openLock()
	if err != nil {
		return false, 0
	}
	defer f.Close()
	if !probeLock(f) {
		return false, 0
	}
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	return true, pid
}
