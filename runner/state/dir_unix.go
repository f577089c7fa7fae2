//go:build unix

package state

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

const oNoFollow = syscall.O_NOFOLLOW

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }

// checkOwner refuses a file or folder that another user owns: hiverun would
// otherwise act on pids someone else wrote.
func checkOwner(p string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Geteuid() {
		return &Error{Path: p, Msg: fmt.Sprintf("is owned by uid %d, not by you (uid %d); hiverun refuses to use it", st.Uid, os.Geteuid())}
	}
	return nil
}

func syncFolder(p string) {
	if f, err := os.Open(p); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// lockFile takes an exclusive flock without waiting; it reports false when
// another process holds it. The kernel drops the lock when its holder
// dies, however it dies.
func lockFile(f *os.File) (bool, error) {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// lockFileWait takes an exclusive flock, waiting (in the kernel, woken
// when the holder lets go) as long as another process holds it.
func lockFileWait(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// probeLock reports whether another process holds f's lock exclusively.
func probeLock(f *os.File) bool {
	err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
	if err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false
}
