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
//
// The read end, kept as long as the child runs, is moved to a descriptor
// of 64 or more (readEndsFrom), leaving the low ones free. Go's fork
// reads a pipe of its own until the child's exec closes it, and an exec
// closes inherited descriptors in increasing order: that pipe, given the
// lowest free numbers, used to be closed after every read end held then,
// and the parent waited (and spun on the pipe's lock) while a child of a
// 100-process stack closed 100 descriptors first.
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
	if high, err := unix.FcntlInt(uintptr(p[0]), unix.F_DUPFD_CLOEXEC, readEndsFrom); err == nil {
		unix.Close(p[0])
		p[0] = high
	}
	return os.NewFile(uintptr(p[0]), "|0"), os.NewFile(uintptr(p[1]), "|1"), nil
}

// readEndsFrom is the lowest descriptor an output pipe's read end takes.
const readEndsFrom = 64
