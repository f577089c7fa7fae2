//go:build linux

package proc

import (
	"golang.org/x/sys/unix"
)

// readProc reads a small /proc file with plain system calls, into buf when
// it fits. os.ReadFile spends five more calls per file offering it to the
// netpoller (which /proc files refuse), and reading every process's stat
// is what status, stop and reclaim do most.
func readProc(path string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	b := buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if n > 0 {
			b = b[:len(b)+n]
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return b, nil
		}
	}
}
