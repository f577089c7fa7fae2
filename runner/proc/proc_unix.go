//go:build unix

package proc

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

var signalNumbers = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP,
	"QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2, "WINCH": syscall.SIGWINCH, "ABRT": syscall.SIGABRT,
}

// group is the handle on a started process tree: on Unix its process group.
type Group struct {
	pgid int
}

// prepare puts the child in a process group of its own, so that one signal
// reaches it and everything it forks without leaving that group.
func Prepare(cmd *exec.Cmd, tty bool) { cmd.SysProcAttr = SysAttr(tty) }

// SysAttr is Prepare's for os.StartProcess.
func SysAttr(tty bool) *syscall.SysProcAttr {
	if tty {
		// The pty start makes it a session leader, which is a group too.
		return &syscall.SysProcAttr{Setsid: true, Setctty: true}
	}
	return &syscall.SysProcAttr{Setpgid: true}
}

// Attach is the handle on the tree of the child pid started as Prepare
// says.
func Attach(pid int) (*Group, error) {
	return &Group{pgid: pid}, nil
}

// signal sends sig to the whole group.
func (g *Group) Signal(sig string) error {
	s, ok := signalNumbers[sig]
	if !ok {
		s = syscall.SIGTERM
	}
	err := syscall.Kill(-g.pgid, s)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func (g *Group) Kill() error { return g.Signal("KILL") }

// alive tells whether the group may still have a process: kill(0) on it
// succeeds. Cheap, but a zombie member counts.
func (g *Group) Alive() bool {
	err := syscall.Kill(-g.pgid, 0)
	return !errors.Is(err, syscall.ESRCH)
}

// living is alive without zombies: a zombie holds no port and no file, and
// its reaper may be slow. It reads /proc, so it is used only when alive
// has said yes for a while.
func (g *Group) Living() bool {
	return g.Alive() && groupHasLiving(g.pgid)
}

func (g *Group) Close() {}

// isInterrupt reports whether sig is one that stops the stack.
func IsInterrupt(sig os.Signal) bool {
	return sig == syscall.SIGINT || sig == syscall.SIGTERM || sig == syscall.SIGHUP
}

// StopSignals are the signals main should route to the runner.
var StopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// SignalName is the name a user looks up (SIGTERM), not Go's description
// of it ("terminated").
func SignalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if name := unix.SignalName(s); name != "" {
			return name
		}
	}
	return sig.String()
}

// exitDescription renders how a process ended.
func ExitDescription(state *os.ProcessState) (code int, desc string) {
	if state == nil {
		return -1, "lost (could not be waited for)"
	}
	ws, _ := state.Sys().(syscall.WaitStatus)
	return describe(ws)
}

func describe(ws syscall.WaitStatus) (code int, desc string) {
	if ws.Signaled() {
		return 128 + int(ws.Signal()), "killed by " + unix.SignalName(ws.Signal())
	}
	code = ws.ExitStatus()
	switch code {
	case 127:
		// The shell's "not found": say it in words too.
		return code, "exited with code 127 (command not found)"
	case 126:
		// The shell's "found but cannot be run".
		return code, "exited with code 126 (not executable)"
	}
	return code, "exited with code " + strconv.Itoa(code)
}

// SignalNumber is the signal that ended a command, or 0.
func SignalNumber(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return int(ws.Signal())
	}
	return 0
}

// SignalGroup sends sig to every process of group pgid.
func SignalGroup(pgid int, sig string) {
	if pgid > 0 {
		(&Group{pgid: pgid}).Signal(sig)
	}
}

// GroupExists tells whether kill(0) reaches group pgid (zombies count).
func GroupExists(pgid int) bool { return pgid > 0 && (&Group{pgid: pgid}).Alive() }

// GroupLiving tells whether group pgid has a member that is not a zombie.
func GroupLiving(pgid int) bool { return pgid > 0 && (&Group{pgid: pgid}).Living() }

// KeepOnBrokenPipe stops the Go runtime from killing hiverun with SIGPIPE
// when its stdout or stderr is a pipe whose reader has gone (`hiverun |
// head`): the write fails with EPIPE instead, and the runner stops the
// stack in order. (A handler, not SIG_IGN: children must not inherit an
// ignored SIGPIPE.)
func KeepOnBrokenPipe() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGPIPE)
	go func() {
		for range c {
		}
	}()
}

// Start starts path (the process in a group of its own, as SysAttr says)
// with files as its descriptors 0, 1, 2, and returns how to reap it. It is
// syscall.StartProcess, not os.StartProcess: that one also opens a pidfd
// for every child, which the runner does not use (the reaper reports
// exits), and every descriptor hiverun holds is copied into each fork and
// closed again at its exec: 100 pidfds cost a boot of 100 processes about
// 5 ms (bench/, measured over 41 runs).
func Start(path string, args, env []string, dir string, files []*os.File) (pid int, wait func() (int, string), err error) {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd()
	}
	pid, _, err = syscall.StartProcess(path, args, &syscall.ProcAttr{Dir: dir, Env: env, Files: fds, Sys: SysAttr(false)})
	if err != nil {
		return 0, nil, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	return pid, func() (int, string) {
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, 0, nil)
			if err == nil {
				return describe(ws)
			}
			if err != syscall.EINTR {
				return -1, "lost (could not be waited for: " + err.Error() + ")"
			}
		}
	}, nil
}
