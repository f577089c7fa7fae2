package detach

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// detachedEnv tells a re-executed hiverun that it is the background
// supervisor of `up --detach`; notifyEnv names the descriptor on which it
// says it is ready.
const (
	detachedEnv = "HIVERUN_DETACHED"
	notifyEnv   = "HIVERUN_NOTIFY_FD"
)

// uiURLFile is where a detached supervisor serving the dashboard writes
// its address (0600, like everything in the state folder), for the
// `up --detach --ui` that started it to print.
const uiURLFile = "ui.url"

// InBackground tells whether this hiverun is the background supervisor
// an `up --detach` started. It takes the mark out of the environment: the
// stack's processes must not think they are too.
func InBackground() bool {
	if os.Getenv(detachedEnv) == "" {
		return false
	}
	os.Unsetenv(detachedEnv)
	return true
}

// Supervise is how the background supervisor runs plan: with sigs, its
// processes' output in logDir, calling ready once the stack is ready
// (after the runner has recorded the boot in memory.json).
type Supervise func(plan *procfile.Plan, sigs chan os.Signal, logDir string, ready func()) error

// Background is the background supervisor of `up --detach`: it takes the
// handshake's pipe, reads the plan, and supervises it, saying "ready" on
// the pipe when the stack is.
func Background(plan func() (*procfile.Plan, error), run Supervise) error {
	// Before the plan reads the environment: the stack must not see it.
	notify := notifier()
	if notify != nil {
		defer notify.Close()
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)
	ignoreHangup()
	p, err := plan()
	if err != nil {
		return err
	}
	logs := filepath.Join(p.Root, state.FolderName, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		return err
	}
	if fi, err := os.Lstat(logs); err != nil || !fi.IsDir() {
		return &state.Error{Path: logs, Msg: "is not a folder"}
	}
	return run(p, sigs, logs, func() {
		if notify != nil {
			fmt.Fprint(notify, "ready\n")
			notify.Close()
			notify = nil
		}
	})
}

// PublishUI serves the dashboard from the background supervisor of
// `up --detach --ui` (serve starts it: its address, "" when it is off,
// and how to stop it), for as long as the stack runs, and leaves its
// address in the state folder dir for the foreground `up` to print.
func PublishUI(dir *state.Dir, serve func() (string, func(), error)) (func(), error) {
	if dir == nil {
		return func() {}, nil
	}
	// An address left by an earlier supervisor is no longer served.
	_ = dir.Remove(uiURLFile)
	url, stop, err := serve()
	if err != nil || url == "" {
		return func() {}, err
	}
	if err := dir.WriteFile(uiURLFile, []byte(url+"\n"), false); err != nil {
		stop()
		return nil, err
	}
	return func() { _ = dir.Remove(uiURLFile); stop() }, nil
}

// printUI prints the dashboard's address after up --detach --ui, when
// the stack runs and serves one.
func printUI(out io.Writer, dir *state.Dir) {
	if held, _ := dir.Held(); !held {
		return
	}
	if url, err := dir.ReadFile(uiURLFile); err == nil {
		fmt.Fprintf(out, "hiverun: the dashboard is at %s (it lives as long as the stack)\n", strings.TrimSpace(string(url)))
	}
}
