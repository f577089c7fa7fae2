//go:build windows

package runner

import (
	"os"
	"os/exec"
)

func startPTY(r *Reaper, cmd *exec.Cmd) (*os.File, error) { return nil, errNoPTY }
