//go:build windows

package detach

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

const oNoFollow = 0

// detachedAttrs detaches the background supervisor from the console.
func detachedAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS}
}

func ignoreHangup() {}

func closeOnExec(fd int) {}

// passNotify: Windows passes no extra descriptors; the caller watches
// memory.json instead.
func passNotify(c *exec.Cmd, w *os.File) bool { return false }

// keepInheritedFromChildren: Windows children inherit only the handles
// passed to them.
func keepInheritedFromChildren() {}
