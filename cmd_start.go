package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		rev, dirty := "", ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			return "dev-" + rev + dirty
		}
	}
	return "dev"
}

func startCmd(cmd *cobra.Command, g *globals, args []string) error {
	// Signals are taken first of all: a Ctrl-C during parsing or the
	// first starts must still stop what was started. (A process that
	// inherits SIGINT ignored, as background jobs of scripts do, loses a
	// SIGINT sent before this line: the kernel drops it.)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)

	plan, err := g.plan(args)
	if err != nil {
		return err
	}
	url, stopUI, err := startUI(cmd, g)
	if err != nil {
		return err
	}
	defer stopUI()
	if url != "" {
		fmt.Fprintf(os.Stderr, "hiverun: the dashboard is at %s\n", url)
	}
	return supervise(cmd.Context(), g, plan, args, sigs, nil)
}

// supervise runs plan in the foreground with everything around it: state
// folder, reclaim, memory, control channel, reaper. more adjusts the
// runner's options (run --with hooks in there).
func supervise(ctx context.Context, g *globals, plan *procfile.Plan, args []string, sigs chan os.Signal, more func(*runner.Options)) error {
	warn(os.Stderr, plan.Procfile)

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
		Plan: plan, NoReclaim: g.noReclaim, Force: g.force, Say: say, Log: log,
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
	store, err := state.NewStore(dir, mem, log, plan, args, reclaimed)
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
	healthEvery, err := procfile.ParseDuration(g.healthInterval)
	if err != nil || healthEvery == 0 {
		return &usageError{Msg: fmt.Sprintf("--health-interval %s: expected a duration like 10s", g.healthInterval)}
	}

	reaper, _ := proc.NewReaper() // nil where orphans cannot be adopted
	if reaper != nil {
		defer reaper.Close()
	}
	stdout := os.Stdout
	live := isTerminal(stdout) && os.Getenv("TERM") != "dumb"
	width := 120
	if w, _, err := term.GetSize(int(stdout.Fd())); err == nil && w > 20 {
		width = w
	}
	ctx, sigs2, stopExplain := state.ExplainSignals(ctx, dir, sigs)
	defer stopExplain()
	opts := runner.Options{
		Stdout:     stdout,
		Color:      g.useColor(stdout),
		Timestamps: !g.noTimestamp,
		Live:       live,
		LiveWidth:  width,
		Signals:    sigs2,
		Reaper:     reaper,
		Journal:    store,
		ExtraEnv:   store.Env(),
		Expected:   state.Expected(mem),
		Notices:    notices,
		Control:    control,

		HealthInterval: healthEvery,
		HealthFailures: g.healthFailures,
		// A run --with from another terminal may need processes this
		// stack was not started with: resolved in its environment.
		Resolve: func(names, env []string) (*procfile.Plan, error) { return g.planIn(names, env) },
	}
	if more != nil {
		more(&opts)
	}
	return runner.Run(ctx, plan, opts)
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
