package detach

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// The handshake between `up --detach` and the background supervisor it
// starts: a pipe on which the supervisor says "ready".

// supervisor is a background supervisor this `up --detach` started.
type supervisor struct {
	cmd     *exec.Cmd
	started time.Time
	errPath string
	exited  chan error
	ready   chan struct{} // closed when it says the stack is ready
}

// startSupervisor re-executes hiverun as the background supervisor, with
// its stderr in the state folder and a pipe on which it says "ready".
func startSupervisor(dir *state.Dir) (*supervisor, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devNull.Close()
	// Its own errors (a refused port, say) land here for us to show.
	sup := &supervisor{errPath: filepath.Join(dir.Path, "supervisor.err"), exited: make(chan error, 1), ready: make(chan struct{})}
	errFile, err := os.OpenFile(sup.errPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|oNoFollow, 0o600)
	if err != nil {
		return nil, err
	}
	defer errFile.Close()
	// Its end of the pipe closing without a word means it failed or died.
	notifyR, notifyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer notifyW.Close()
	keepInheritedFromChildren()
	c := exec.Command(self, os.Args[1:]...)
	c.Env = append(os.Environ(), detachedEnv+"=1")
	c.Stdin, c.Stdout, c.Stderr = devNull, devNull, errFile
	piped := passNotify(c, notifyW)
	if piped {
		c.Env = append(c.Env, notifyEnv+"=3")
	}
	c.SysProcAttr = detachedAttrs()
	sup.cmd, sup.started = c, time.Now()
	if err := c.Start(); err != nil {
		notifyR.Close()
		return nil, fmt.Errorf("start the supervisor: %w", err)
	}
	go func() { sup.exited <- c.Wait() }()
	go func() {
		defer notifyR.Close()
		if !piped {
			// Windows passes no extra descriptor: memory.json says it.
			for st := lastStartup(dir, sup.started); st == nil || st.Result.Outcome != life.BootReady; st = lastStartup(dir, sup.started) {
				time.Sleep(50 * time.Millisecond)
			}
			close(sup.ready)
			return
		}
		if line, _ := bufio.NewReader(notifyR).ReadString('\n'); line == "ready\n" {
			close(sup.ready)
		}
	}()
	return sup, nil
}

// await waits for the supervisor to say ready, to end (a failed boot), for
// --wait-timeout, or for the user's interrupt, and reports the outcome.
func (sup *supervisor) await(out io.Writer, dir *state.Dir, plan *procfile.Plan, wait time.Duration, report string) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)
	stop := func(format string, a ...any) error {
		fmt.Fprintf(os.Stderr, format, a...)
		proc.Terminate(sup.cmd.Process)
		<-sup.exited
		return &exitcode.Code{Code: exitcode.Failed}
	}
	select {
	case err := <-sup.exited:
		msg, _ := os.ReadFile(sup.errPath)
		fmt.Fprint(os.Stderr, string(msg))
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			if st := lastStartup(dir, sup.started); st != nil {
				showFailure(out, dir, plan, st)
				_ = writeReportFrom(report, dir, plan, st)
			}
			return &exitcode.Code{Code: ee.ExitCode()}
		}
		return fmt.Errorf("the supervisor ended before the stack was ready")
	case <-time.After(wait):
		return stop("hiverun: not ready within --wait-timeout %s: stopping the stack\n", wait)
	case s := <-sigs:
		return stop("hiverun: received %s: stopping the stack\n", proc.SignalName(s))
	case <-sup.ready:
	}
	pid := sup.cmd.Process.Pid
	// It is on its own now; ours is only the handle.
	_ = sup.cmd.Process.Release()
	st := lastStartup(dir, sup.started)
	if st == nil {
		fmt.Fprintf(out, "hiverun: ready (supervisor pid %d; hiverun logs, hiverun status, hiverun stop)\n", pid)
		return nil
	}
	// The supervisor is our child: its pid needs no memory.json.
	printUp(out, plan, pid, st)
	mem, err := dir.LoadMemory()
	if err != nil {
		// The stack is up; only the report needs memory.
		if report != "" {
			return fmt.Errorf("--report %s: %w", report, err)
		}
		return nil
	}
	return writeReport(report, plan, mem, st)
}

// notifier is the pipe to the `up --detach` that started this supervisor,
// or nil. It is taken out of the environment so that no process of the
// stack inherits the name of a descriptor it does not have.
func notifier() *os.File {
	v := os.Getenv(notifyEnv)
	os.Unsetenv(notifyEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	closeOnExec(fd)
	return os.NewFile(uintptr(fd), "notify")
}
