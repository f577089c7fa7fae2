//go:build windows

package proc

import "os"

// Terminate ends a process of ours: Windows has no SIGTERM to send
// another process.
func Terminate(p *os.Process) { _ = p.Kill() }
