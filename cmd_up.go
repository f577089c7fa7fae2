package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/logs"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
	"github.com/hiverun/hiverun/runner/ui"
)

// detachedEnv tells a re-executed hiverun that it is the background
// supervisor of `up --detach`; notifyEnv names the descriptor on which it
// says it is ready.
const (
	detachedEnv = "HIVERUN_DETACHED"
	notifyEnv   = "HIVERUN_NOTIFY_FD"
)

func newUpCmd(g *globals) *cobra.Command {
	var (
		detach      bool
		deps        bool
		waitTimeout string
		report      string
	)
	cmd := &cobra.Command{
		Use:   "up --detach [PROCESS...]",
		Short: "Boot the stack in the background and return once it is ready (for CI)",
		Long: `Boot the named processes (all when none is named) and what they depend on in
a background supervisor that outlives this shell and terminal, and return 0
once every one is ready; or return 1 with the failing process's name and
last 20 lines, leaving nothing running. Each process's output goes to
.hiverun/logs/NAME.N.log (see hiverun logs). Stop it with hiverun stop.

Run again while the stack is up, it compares each process with what it was
started with. With nothing changed it returns at once. Otherwise the running
supervisor restarts the processes whose command, environment, dir, port,
health, tty, timeout, delay, optional, oneshot, depends or clean changed
(and starts those that are not running), applies a changed restart, grace
or signal to the running process without restarting it, keeps the rest
running, and names each: "restarted worker (command changed); applied
grace=10s to web". With --deps, what depends on a restarted process is
restarted after it. When processes were added or removed, the stack is
started anew.`,
		Example: `  hiverun up --detach
  hiverun up --detach --report boot.json backend
  hiverun logs -f backend
  hiverun stop`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Getenv(detachedEnv) != "" {
				// We are the background supervisor; our processes must
				// not think they are too.
				os.Unsetenv(detachedEnv)
				stopUI, err := serveDetachedUI(cmd, g)
				if err != nil {
					return err
				}
				defer stopUI()
				return detachedSupervise(cmd.Context(), g, args)
			}
			if !detach {
				return &usageError{Msg: "up runs in the background only: hiverun up --detach (or hiverun for the foreground)"}
			}
			wait, err := procfile.ParseDuration(waitTimeout)
			if err != nil || wait == 0 {
				return &usageError{Msg: fmt.Sprintf("--wait-timeout %s: expected a duration like 5m", waitTimeout)}
			}
			return upDetached(cmd, g, args, wait, report, deps)
		},
	}
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "run the stack in the background")
	cmd.Flags().StringVar(&waitTimeout, "wait-timeout", "5m", "give up (and stop the stack) if it is not ready by then")
	cmd.Flags().StringVar(&report, "report", "", "write the boot as JSON to this file (as an SVG waterfall when it ends in .svg)")
	addUIFlags(cmd)
	cmd.Flags().BoolVar(&deps, "deps", false, "run again: also restart what depends on a changed process")
	return cmd
}

// upDetached starts (or finds) the background supervisor and waits for
// the boot's outcome in memory.json.
func upDetached(cmd *cobra.Command, g *globals, args []string, wait time.Duration, report string, deps bool) (err error) {
	plan, err := g.plan(args)
	if err != nil {
		return err
	}
	warn(os.Stderr, plan.Procfile)
	out := cmd.OutOrStdout()
	dir, err := state.Open(plan.Root, true)
	if err != nil {
		return err
	}
	if strings.EqualFold(filepath.Ext(report), ".svg") {
		// The waterfall of the boot instead of JSON, whichever way it ends.
		svg := report
		report = ""
		defer func() { err = errors.Join(err, ui.WriteBootSVG(svg, dir, 1)) }()
	}
	defer printDetachedUI(cmd, dir)
	if held, _ := dir.Held(); held {
		if done, err := rerunDetached(out, dir, plan, report, deps); done {
			return err
		}
		fmt.Fprintln(out, "hiverun: starting the stack anew")
	}
	sup, err := startSupervisor(dir)
	if err != nil {
		return err
	}
	return sup.await(out, dir, plan, wait, report)
}

// rerunDetached handles `up --detach` with a live supervisor: nothing to
// do, or a reload that restarts or applies what changed. done is false
// when the stack must start anew.
func rerunDetached(out io.Writer, dir *state.Dir, plan *procfile.Plan, report string, deps bool) (done bool, err error) {
	mem, err := dir.LoadMemory()
	if err == nil && unchanged(mem, plan) {
		fmt.Fprintf(out, "hiverun: the stack is already up and unchanged (supervisor pid %d)\n", mem.Supervisor.PID)
		return true, writeReport(report, plan, mem, mem.Startups[len(mem.Startups)-1])
	}
	if err != nil || mem.Supervisor == nil {
		return false, nil
	}
	// Changed: the running supervisor restarts what changed (and what is
	// not running) and keeps the rest.
	r, aerr := dir.AskEnv("reload", nil, deps, os.Environ())
	if aerr != nil {
		return false, nil
	}
	if !r.OK {
		fmt.Fprintf(out, "hiverun: %s\n", r.Error)
		return false, nil
	}
	fmt.Fprintf(out, "hiverun: %s (supervisor pid %d)\n", r.Message, mem.Supervisor.PID)
	if mem, err = dir.LoadMemory(); err != nil {
		// The stack reloaded; only the report needs memory.
		if report != "" {
			return true, fmt.Errorf("--report %s: %w", report, err)
		}
		return true, nil
	}
	if len(mem.Startups) > 0 {
		return true, writeReport(report, plan, mem, mem.Startups[len(mem.Startups)-1])
	}
	return true, nil
}

// unchanged tells whether the live stack runs plan as it is now, ready:
// only then may a rerun return without asking the supervisor anything.
func unchanged(mem *state.Memory, plan *procfile.Plan) bool {
	if mem.Supervisor == nil || !proc.Ours(mem.Supervisor.PID, mem.Supervisor.CreateTime) || len(mem.Startups) == 0 {
		return false
	}
	if len(mem.Instances) != len(plan.Instances) {
		return false
	}
	for _, in := range plan.Instances {
		rec := mem.Lookup(in.Name)
		if rec == nil || recordChange(rec, in).Changed() {
			return false
		}
		up := rec.State == "ready" && rec.Ours() || rec.Oneshot && rec.State == "exited"
		if !up && !rec.Optional {
			return false
		}
	}
	return true
}

// recordChange is what differs between how rec was started and how in
// says to run it now. A record from a hiverun that kept no settings has
// only its fingerprint, which covers fewer keys: any difference there is
// taken as a change that needs a restart.
func recordChange(rec *state.Instance, in *procfile.Instance) procfile.Change {
	if rec.Settings != nil {
		return procfile.Diff(*rec.Settings, procfile.SettingsOf(in))
	}
	if rec.Fingerprint != procfile.Fingerprint(in) {
		return procfile.Change{Restart: true, Why: "changed"}
	}
	return procfile.Change{}
}

// lastStartup is the startup recorded after t, if any.
func lastStartup(dir *state.Dir, t time.Time) *state.Startup {
	mem, err := dir.LoadMemory()
	if err != nil || len(mem.Startups) == 0 {
		return nil
	}
	if st := mem.Startups[len(mem.Startups)-1]; st.At.After(t) {
		return st
	}
	return nil
}

func printUp(out io.Writer, supervisor int, st *state.Startup) {
	var parts []string
	for _, n := range st.CriticalPath {
		parts = append(parts, fmt.Sprintf("%s %.2fs", n, float64(st.ReadyMS[n])/1000))
	}
	fmt.Fprintf(out, "hiverun: ready in %.2fs — %s (supervisor pid %d; hiverun logs, hiverun status, hiverun stop)\n",
		float64(st.BootMS)/1000, strings.Join(parts, " → "), supervisor)
}

// failedName is the process a failed startup names ("failed: api failed").
func failedName(st *state.Startup) string {
	return st.Result.FailedProcess()
}

func showFailure(out io.Writer, dir *state.Dir, plan *procfile.Plan, st *state.Startup) {
	failed := failedInstances(plan, st)
	fmt.Fprintf(out, "hiverun: the stack did not come up: %s\n", strings.TrimPrefix(failureText(st, failed), "failed: "))
	for _, in := range failed {
		lines := logs.LastLinesSince(filepath.Join(dir.Path, "logs", in.Name+".log"), 20, st.At)
		if len(lines) == 1 {
			fmt.Fprintf(out, "last line of %s:\n", in.Display)
		} else {
			fmt.Fprintf(out, "last %d lines of %s:\n", len(lines), in.Display)
		}
		for _, l := range lines {
			fmt.Fprintf(out, "  %s\n", l)
		}
	}
}

// failedInstances are the plan's instances of the process a failed boot
// names.
func failedInstances(plan *procfile.Plan, st *state.Startup) []*procfile.Instance {
	name := failedName(st)
	var failed []*procfile.Instance
	for _, in := range plan.Instances {
		if in.Display == name || in.Name == name {
			failed = append(failed, in)
		}
	}
	return failed
}

// failureText is the boot's result with why the process failed: the
// result says which process, its span says why, as the foreground's
// report does (exit code, signal, or timeout with the last check answer).
func failureText(st *state.Startup, failed []*procfile.Instance) string {
	what := st.Result.String()
	if why := failureWhy(st, failed); why != "" && !strings.Contains(what, why) {
		what += ": " + why
	}
	return what
}

// failureWhy is the reason the boot's record gives for the first of these
// instances that failed.
func failureWhy(st *state.Startup, failed []*procfile.Instance) string {
	for _, in := range failed {
		for _, sp := range st.Spans {
			if sp.Name == in.Name && sp.Reason != "" && (sp.State == life.Failed || sp.State == life.Exited) {
				return sp.Reason
			}
		}
	}
	return ""
}

// detachedSupervise is the background supervisor of `up --detach`.
func detachedSupervise(ctx context.Context, g *globals, args []string) error {
	// Before the plan reads the environment: the stack must not see it.
	notify := notifier()
	if notify != nil {
		defer notify.Close()
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)
	ignoreHangup()
	plan, err := g.plan(args)
	if err != nil {
		return err
	}
	logs := filepath.Join(plan.Root, state.FolderName, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		return err
	}
	if fi, err := os.Lstat(logs); err != nil || !fi.IsDir() {
		return &state.Error{Path: logs, Msg: "is not a folder"}
	}
	return supervise(ctx, g, plan, args, sigs, func(o *runner.Options) {
		o.OnReady = func(time.Duration) {
			if notify != nil {
				// memory.json already holds the boot: the runner records it
				// before it calls OnReady.
				fmt.Fprint(notify, "ready\n")
				notify.Close()
				notify = nil
			}
		}
		o.Reload = func(env []string) (*procfile.Plan, error) { return g.planIn(args, env) }
		o.Stdout = io.Discard
		o.Live = false
		o.LogDir = logs
		o.TailLines = 20
	})
}
