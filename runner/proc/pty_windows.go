//go:build windows

package proc

import (
	"os"
	"os/exec"
)

func StartPTY(r *Reaper, cmd *exec.Cmd) (*os.File, error) { return nil, ErrNoPTY }
