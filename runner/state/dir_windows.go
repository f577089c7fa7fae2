//go:build windows

package state

import (
	"os"

	"golang.org/x/sys/windows"
)

// Windows has no O_NOFOLLOW; ReadFile and Open check with Lstat first.
const oNoFollow = 0

func isLoop(err error) bool { return false }

func checkOwner(p string, fi os.FileInfo) error { return nil }

func syncFolder(p string) {}

func lockFile(f *os.File) (bool, error) {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err == windows.ERROR_LOCK_VIOLATION {
		return false, nil
	}
	return err == nil, err
}

// lockFileWait takes the lock, waiting as long as another process holds
// it: on a handle opened for synchronous I/O, LockFileEx without
// LOCKFILE_FAIL_IMMEDIATELY returns when the holder lets go.
func lockFileWait(f *os.File) error {
	ol := new(windows.Overlapped)
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, ol)
}

func probeLock(f *os.File) bool {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		return true
	}
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
	return false
}
