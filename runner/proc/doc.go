// Package proc holds hiverun's process primitives, per platform: process
// groups (job objects on Windows) and their signals, liveness that does not
// mistake a zombie for a process, the child subreaper that adopts and reaps
// orphans, pseudo-terminals, and how a command is found and run.
package proc

import "errors"

// ErrNoPTY is returned for a tty process where pseudo-terminals do not
// exist (Windows); the process then runs on a pipe.
var ErrNoPTY = errors.New("pseudo-terminals are not supported here")

// Stat is what hiverun reads of /proc/PID/stat.
type Stat struct {
	Pid, PPid, Pgid int
	State           byte  // R, S, D, Z, ...
	StartTicks      int64 // clock ticks after boot
}
