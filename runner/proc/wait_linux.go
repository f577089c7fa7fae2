//go:build linux

package proc

import (
	"os"

	"golang.org/x/sys/unix"
)

// awaitExit blocks until pid has exited, without reaping it, parked in the
// network poller rather than in a blocking wait: a stack of 100 processes
// then costs no 100 OS threads (it measurably slowed spawning). Where
// pidfds are missing, it returns at once and the caller's Wait blocks.
func AwaitExit(pid int) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Read(func(fd uintptr) bool {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		return err != nil || info.Signo != 0
	})
}
