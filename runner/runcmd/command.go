// Package runcmd is `hiverun run`'s: running a command on hiverun's own
// terminal with the stack's environment and passing on its status as a
// shell would (127, 126, 128+signal), and the warm start of run --with,
// which uses a stack that already runs in the folder. Booting a stack of
// its own is the runner's, which main wires in.
package runcmd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/proc"
)

// ShellJoin quotes args for sh, each after a space.
func ShellJoin(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteByte(' ')
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@%+") == "" {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}

// Run runs args on hiverun's terminal and passes on its status.
func Run(env []string, pathEnv, dir string, args []string) error {
	c, err := Start(env, pathEnv, dir, args)
	if err != nil {
		return err
	}
	// The command shares our terminal: Ctrl-C reaches it directly. We
	// keep running to pass on its status, and forward what the terminal
	// did not send it (TERM, HUP).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)
	return forwardUntilDone(c, sigs)
}

// forwardUntilDone passes each signal on to c until it ends, and returns
// its status.
func forwardUntilDone(c *exec.Cmd, sigs <-chan os.Signal) error {
	done := make(chan error, 1)
	go func() { done <- Wait(c) }()
	for {
		select {
		case s := <-sigs:
			_ = c.Process.Signal(s)
		case err := <-done:
			return Status(err)
		}
	}
}

// Start starts args (one argument: through the shell when it needs
// one) with env, in dir, on hiverun's own terminal.
func Start(env []string, pathEnv, dir string, args []string) (*exec.Cmd, error) {
	argv, more := argvOf(args)
	env = append(env, more...)
	path := proc.LookPath(argv[0], pathEnv, dir)
	if path == "" {
		return nil, missingCommand(argv[0], dir)
	}
	c := &exec.Cmd{Path: path, Args: argv, Env: env, Dir: dir, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	// Registered with the stack's reaper, when one runs in this process
	// (run --with), so that its exit is left to its Wait.
	waited, err := proc.SpawnOwn(func() (int, error) {
		if err := c.Start(); err != nil {
			return 0, err
		}
		return c.Process.Pid, nil
	})
	if err != nil {
		return nil, fmt.Errorf("run: %v", err)
	}
	ownWaits.Store(c, waited)
	return c, nil
}

// argvOf is what runs args: one argument is a command line, through the
// shell when it needs one (its leading FOO=1 assignments become env).
func argvOf(args []string) (argv, env []string) {
	if len(args) != 1 {
		return args, nil
	}
	ex := procfile.PlanExec(args[0])
	if ex.Script != "" {
		return []string{"/bin/sh", "-c", ex.Script}, nil
	}
	return ex.Argv, ex.Env
}

// Runnable says, before anything is started for it, why args could not
// run: a command that is not there (127) or not executable (126).
func Runnable(pathEnv, dir string, args []string) error {
	argv, _ := argvOf(args)
	if proc.LookPath(argv[0], pathEnv, dir) == "" {
		return missingCommand(argv[0], dir)
	}
	return nil
}

// ownWaits holds each started command's Waited, for Wait to call.
var ownWaits sync.Map

// Wait waits for a command Start started and lets the reaper forget it.
func Wait(c *exec.Cmd) error {
	err := c.Wait()
	if w, ok := ownWaits.LoadAndDelete(c); ok {
		w.(func())()
	}
	return err
}

// Status turns a command's end into hiverun's exit: its code, or
// 128+signal.
func Status(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 {
			code = 128 + proc.SignalNumber(ee)
		}
		return &exitcode.Code{Code: code}
	}
	return err
}

// missingCommand says why name, which LookPath did not find, cannot run:
// a path to a file that is there is not executable.
func missingCommand(name, dir string) error {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	fi, err := os.Stat(p)
	found := strings.ContainsRune(name, '/') && err == nil
	return &exitcode.NotFoundError{Name: name, Found: found, Dir: found && fi.IsDir()}
}
