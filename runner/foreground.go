package runner

// This file is the foreground supervisor, Run with everything around it
// that lives in the state folder, for hiverun start, run --with and up
// --detach's background supervisor. It is the one place where the runner
// meets runner/state: here rather than in a package of its own under
// runner/, which would import its parent; state never imports runner.

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// ForegroundOptions are the command line's say in a supervised run.
type ForegroundOptions struct {
	Args      []string // the selection as given, recorded in memory.json
	NoReclaim bool
	Force     bool

	Color      bool
	Timestamps bool

	HealthInterval string // as written: a bad one is bad usage
	HealthFailures int

	// Resolve resolves processes this stack was not started with, in the
	// environment of the run --with that asks for them.
	Resolve func(names, env []string) (*procfile.Plan, error)
	// More adjusts the runner's options last (run --with and up --detach
	// hook in there).
	More func(*Options)
}

// Foreground runs plan until it ends, with its state folder (reclaim of
// an earlier stack, memory.json, the control channel) and the reaper;
// sigs are the signals that stop it.
func Foreground(ctx context.Context, plan *procfile.Plan, sigs chan os.Signal, o ForegroundOptions) error {
	// Bad flags are bad usage before anything is touched: not after an
	// earlier stack was taken over.
	healthEvery, err := procfile.ParseDuration(o.HealthInterval)
	if err != nil || healthEvery == 0 {
		return &exitcode.Usage{Msg: fmt.Sprintf("--health-interval %s: expected a duration like 10s", o.HealthInterval)}
	}
	if o.HealthFailures < 1 {
		return &exitcode.Usage{Msg: fmt.Sprintf("--health-failures %d: expected how many failed checks in a row make a process unhealthy, 1 or more", o.HealthFailures)}
	}
	tuneRuntime()
	proc.KeepOnBrokenPipe()
	dir, err := state.Open(plan.Root, true)
	if err != nil {
		return err
	}
	log, err := dir.OpenLog()
	if err != nil {
		return err
	}
	defer log.Close()
	var notices []string
	say := func(format string, a ...any) { notices = append(notices, fmt.Sprintf(format, a...)) }

	mem, reclaimed, err := reclaim(ctx, sigs, dir, state.ReclaimOptions{
		Plan: plan, NoReclaim: o.NoReclaim, Force: o.Force, Say: say, Log: log,
	})
	if err != nil {
		log.Write(time.Now(), "ERROR", err.Error())
		return err
	}
	defer dir.Unlock()
	for _, w := range dir.Warnings {
		log.Write(time.Now(), "WARN", w)
		notices = append([]string{"warning: " + w}, notices...)
	}
	store, err := state.NewStore(dir, mem, log, plan, o.Args, reclaimed)
	if err != nil {
		return err
	}
	defer store.Close()
	store.Logf("INFO", "supervisor pid %d started for %s", os.Getpid(), plan.Procfile.File)

	var control <-chan life.ControlRequest
	if ctl, err := dir.ListenControl(); err != nil {
		// The stack runs without it; restart and stop of single
		// processes from another terminal are then unavailable.
		notices = append(notices, "warning: no control channel: "+err.Error())
	} else {
		defer ctl.Close()
		control = ctl.Requests()
	}

	reaper, _ := proc.NewReaper() // nil where orphans cannot be adopted
	if reaper != nil {
		defer reaper.Close()
	}
	ctx, sigs2, stopExplain := state.ExplainSignals(ctx, dir, sigs)
	defer stopExplain()
	opts := Options{
		Signals:  sigs2,
		Reaper:   reaper,
		Journal:  store,
		ExtraEnv: store.Env(),
		Expected: state.Expected(mem),
		Notices:  notices,
		Control:  control,

		HealthInterval: healthEvery,
		HealthFailures: o.HealthFailures,
		Resolve:        o.Resolve,
	}
	foregroundOutput(&opts, o)
	if o.More != nil {
		o.More(&opts)
	}
	return Run(ctx, plan, opts)
}

// foregroundOutput is stdout, live on a terminal that can.
func foregroundOutput(opts *Options, o ForegroundOptions) {
	stdout := os.Stdout
	fd := stdout.Fd()
	opts.Stdout = stdout
	opts.OutputGone = proc.ReaderGone(stdout)
	opts.Color = o.Color
	opts.Timestamps = o.Timestamps
	opts.Live = (isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)) && os.Getenv("TERM") != "dumb"
	opts.LiveWidth = 120
	if w, _, err := term.GetSize(int(fd)); err == nil && w > 20 {
		opts.LiveWidth = w
	}
}

// reclaim runs state.Reclaim, giving up (exit 1) if the user interrupts
// while it waits for an earlier supervisor or leftovers to stop.
func reclaim(ctx context.Context, sigs <-chan os.Signal, dir *state.Dir, o state.ReclaimOptions) (*state.Memory, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var got os.Signal
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case got = <-sigs:
			cancel()
		case <-quit:
		}
	}()
	mem, n, err := state.Reclaim(ctx, dir, o)
	close(quit)
	<-done
	if got != nil {
		dir.Unlock()
		return nil, 0, fmt.Errorf("interrupted (%s) before the stack started", proc.SignalName(got))
	}
	return mem, n, err
}

// tuneRuntime sets the Go runtime for a supervisor, whose heap stays small
// and whose work comes in bursts of process starts. Both settings were
// measured on 100 processes starting at once (bench/, 2 CPUs):
//   - The collector runs at a fifth of its default rate: at the default,
//     a boot ran several collections, about a tenth of its time.
//   - Twice as many Ps as CPUs: Go forks with vfork in a raw system call,
//     so the P of a goroutine starting a process is held until the child
//     has exec'd, and with one P per CPU the rest of the runner (output,
//     the state machines, the next starts) waited behind those starts.
//
// A value the user sets (GOGC, GOMAXPROCS) is left alone.
func tuneRuntime() { tuneOnce.Do(tune) }

var tuneOnce sync.Once

func tune() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// Twice the default, which already follows a container's CPU limit.
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
}
