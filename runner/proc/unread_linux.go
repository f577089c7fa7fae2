//go:build linux

package proc

import (
	"os"

	"golang.org/x/sys/unix"
)

// Unread is how many bytes wait to be read in the pipe or terminal f, or
// -1 where that cannot be told.
func Unread(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	if err := rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ); err == nil {
			n = v
		}
	}); err != nil {
		return -1
	}
	return n
}
