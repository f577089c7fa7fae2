//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

const oNoFollow = syscall.O_NOFOLLOW

// detachedAttrs gives the background supervisor a session of its own: the
// terminal's hangup does not reach it.
func detachedAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

func ignoreHangup() { signal.Ignore(syscall.SIGHUP) }

// stopDetached asks a supervisor (or command) of ours to stop.
func stopDetached(p *os.Process) { _ = p.Signal(syscall.SIGTERM) }
