package runner

import (
	"io"
	"os"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
)

// Options are decided once, in main.
type Options struct {
	Stdout     io.Writer
	Color      bool
	Timestamps bool
	// OutputGone is closed when Stdout, a pipe, has lost its reader: the
	// stack stops in order (nil: only a failed write tells).
	OutputGone <-chan struct{}
	// Live shows the one-line "waiting" status while booting; only for a
	// terminal.
	Live      bool
	LiveWidth int
	Now       func() time.Time
	// Signals delivers the user's interrupts: the first stops the stack in
	// order, a second within a second of it is the same request, and a
	// later one kills at once.
	Signals <-chan os.Signal
	// Reaper, when set, adopts and reaps orphaned descendants (main only).
	Reaper *proc.Reaper
	// TailLines is how many of a failed process's last lines are shown.
	TailLines int
	// OnReady is called once every selected instance is ready (or, being
	// optional, failed), with the boot time.
	OnReady func(boot time.Duration)
	// Journal remembers what happens (nil: nothing is remembered).
	Journal life.Journal
	// ExtraEnv is added to every process's environment (the stack id).
	ExtraEnv []string
	// HealthInterval is how often a ready process is checked again
	// (0: 10 s; negative: never); HealthFailures failures in a row (0: 3)
	// make it unhealthy.
	HealthInterval time.Duration
	HealthFailures int
	// Control brings requests from the control channel (stop, restart,
	// reload).
	Control <-chan life.ControlRequest
	// Reload resolves the plan again, in the given environment, for a
	// reload request.
	Reload func(env []string) (*procfile.Plan, error)
	// Resolve resolves the named processes (and what they depend on) in
	// the given environment, for a start request that adds processes the
	// stack was not started with (run --with from another terminal).
	Resolve func(names, env []string) (*procfile.Plan, error)
	// LogDir, when set, sends each process's output to LogDir/NAME.N.log
	// (stamped lines, rotated past LogMax bytes) instead of Stdout: a
	// detached stack.
	LogDir string
	LogMax int64
	// Notices are hiverun lines to show before anything starts (what was
	// reclaimed, repaired state files).
	Notices []string
	// Expected is each instance's usual time to ready from earlier boots:
	// checks are relaxed before it and fast near it.
	Expected map[string]time.Duration
}

// withDefaults fills in what main left unset, so the rest of the runner
// never checks for a zero option.
func (opts Options) withDefaults() Options {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TailLines == 0 {
		opts.TailLines = 10
	}
	if opts.LiveWidth == 0 {
		opts.LiveWidth = 120
	}
	if opts.Journal == nil {
		opts.Journal = life.NopJournal{}
	}
	if opts.HealthInterval == 0 {
		opts.HealthInterval = 10 * time.Second
	}
	if opts.HealthFailures <= 0 {
		opts.HealthFailures = 3
	}
	return opts
}
