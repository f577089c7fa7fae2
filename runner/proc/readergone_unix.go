//go:build unix

package proc

import (
	"os"

	"golang.org/x/sys/unix"
)

// ReaderGone is closed once f, a pipe, has no reader left (`hiverun |
// grep -m1 ready` once grep has exited): the kernel flags the write end
// with an error, seen without writing. It is nil when f is not a pipe.
func ReaderGone(f *os.File) <-chan struct{} {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return nil
	}
	fd := int(f.Fd())
	gone := make(chan struct{})
	go func() {
		// No events asked for: poll still reports POLLERR (no reader)
		// and POLLHUP, and otherwise sleeps in the kernel.
		fds := []unix.PollFd{{Fd: int32(fd), Events: 0}}
		for {
			n, err := unix.Poll(fds, -1)
			if err == unix.EINTR || n == 0 {
				continue
			}
			if err != nil || fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
				close(gone)
				return
			}
		}
	}()
	return gone
}
