//go:build unix

package proc

import (
	"os"
	"os/exec"

	"github.com/creack/pty"
)

// startPTY starts cmd on a new pseudo-terminal and returns its master side.
// The child is a session leader, so its pid is its process group.
func StartPTY(r *Reaper, cmd *exec.Cmd) (*os.File, error) {
	var master *os.File
	err := r.Spawn(func() (int, error) {
		var err error
		master, err = pty.StartWithAttrs(cmd, &pty.Winsize{Rows: 50, Cols: 160}, cmd.SysProcAttr)
		if err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	return master, err
}
