//go:build unix

package detach

import (
	"os"
	"os/exec"
	"os/signal"
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
