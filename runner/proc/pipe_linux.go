package proc

import (
	"os"

	"golang.org/x/sys/unix"
)

// OutputPipe is a pipe for a child's output: the read end non-blocking in
// Go's poller, the write end a plain blocking descriptor for the child.
// os.Pipe registers both ends with the poller, and handing the write end
// to a child then takes it out again: five system calls per start that a
// boot of 100 processes felt.
func OutputPipe() (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	if err := unix.SetNonblock(p[0], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, nil, os.NewSyscallError("fcntl", err)
	}
	return os.NewFile(uintptr(p[0]), "|0"), os.NewFile(uintptr(p[1]), "|1"), nil
}
