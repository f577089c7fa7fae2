//go:build unix

package detach

import (
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
)

const oNoFollow = syscall.O_NOFOLLOW

// detachedAttrs gives the background supervisor a session of its own: the
// terminal's hangup does not reach it.
func detachedAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

func ignoreHangup() { signal.Ignore(syscall.SIGHUP) }

// closeOnExec keeps a descriptor of the supervisor's own out of the
// stack's processes.
func closeOnExec(fd int) { syscall.CloseOnExec(fd) }

// passNotify hands the supervisor the write end of the ready pipe as fd 3.
func passNotify(c *exec.Cmd, w *os.File) bool {
	c.ExtraFiles = []*os.File{w}
	return true
}

// keepInheritedFromChildren marks every descriptor above stderr that this
// process inherited close-on-exec, so the background supervisor (and the
// stack under it) does not keep it: a pipe a CI runner or a shell left
// open (`5>&1`) would otherwise stay open for as long as the stack runs,
// and whoever waits for its end would hang.
func keepInheritedFromChildren() {
	dir := "/proc/self/fd"
	if _, err := os.Stat(dir); err != nil {
		dir = "/dev/fd"
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
