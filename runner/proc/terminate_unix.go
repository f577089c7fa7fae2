//go:build unix

package proc

import (
	"os"
	"syscall"
)

// Terminate asks a process of ours (a supervisor, a command) to stop.
func Terminate(p *os.Process) { _ = p.Signal(syscall.SIGTERM) }
