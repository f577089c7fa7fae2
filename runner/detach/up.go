// Package detach is `up --detach`: the background supervisor it starts,
// the handshake by which that supervisor says the stack is ready (a pipe;
// its end closing without a word means it failed), a rerun against a live
// stack (nothing changed, or a reload of what changed), and the report of
// the boot: the ready line, the failing process's last lines, --report.
// Supervising itself is the runner's, which main wires in: this package
// does not import it.
package detach

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/logs"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
	"github.com/hiverun/hiverun/runner/ui"
)

// Options are `up --detach`'s.
type Options struct {
	Wait   time.Duration // --wait-timeout
	Report string        // --report FILE (.svg: the waterfall)
	Deps   bool          // rerun: also restart what depends on a changed process
	UI     bool          // --ui: print the dashboard's address
}

// Up is `up --detach` of plan: it starts (or finds) the background
// supervisor and waits for the boot's outcome, which it reports on out.
func Up(out io.Writer, plan *procfile.Plan, o Options) (err error) {
	report := o.Report
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
	if o.UI {
		defer printUI(out, dir)
	}
	if held, _ := dir.Held(); held {
		if done, err := rerun(out, dir, plan, report, o.Deps); done {
			return err
		}
		fmt.Fprintln(out, "hiverun: starting the stack anew, in the background")
	}
	sup, err := startSupervisor(dir)
	if err != nil {
		return err
	}
	return sup.await(out, dir, plan, o.Wait, report)
}

// rerun handles `up --detach` with a live supervisor: nothing to
// do, or a reload that restarts or applies what changed. done is false
// when the stack must start anew.
func rerun(out io.Writer, dir *state.Dir, plan *procfile.Plan, report string, deps bool) (done bool, err error) {
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
	if !r.OK && r.Anew {
		// Said as the reason the stack starts anew: the line after it.
		fmt.Fprintf(out, "hiverun: %s\n", r.Error)
		return false, nil
	}
	if !r.OK && r.Stopping {
		// A required process that was restarted failed: the stack stops.
		return true, &exitcode.Code{Code: exitcode.Failed, Msg: r.Error}
	}
	if !r.OK {
		// A changed process failed; the rest runs on, as it was.
		return true, &exitcode.Code{Code: exitcode.Failed, Msg: fmt.Sprintf("%s; the rest of the stack runs on (supervisor pid %d)", r.Error, mem.Supervisor.PID)}
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
		if rec == nil || rec.Change(in).Changed() {
			return false
		}
		up := rec.State == "ready" && rec.Ours() || rec.Oneshot && rec.State == "exited"
		if !up && !rec.Optional {
			return false
		}
	}
	return true
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

// printUp says the stack is up, naming the critical path as the
// foreground does: by process (redis), by instance only where a process
// runs more than one (web.2).
func printUp(out io.Writer, plan *procfile.Plan, supervisor int, st *state.Startup) {
	shown := map[string]string{}
	for _, in := range plan.Instances {
		shown[in.Name] = in.Display
	}
	var parts []string
	for _, n := range st.CriticalPath {
		name := n
		if d := shown[n]; d != "" {
			name = d
		}
		parts = append(parts, fmt.Sprintf("%s %.2fs", name, float64(st.ReadyMS[n])/1000))
	}
	// As the foreground says it: optional processes that did not come up.
	down := 0
	for _, in := range plan.Instances {
		if _, ok := st.ReadyMS[in.Name]; in.Proc.Optional && !ok {
			down++
		}
	}
	more := ""
	if down > 0 {
		more = fmt.Sprintf(" (%d optional not running)", down)
	}
	fmt.Fprintf(out, "hiverun: ready in %.2fs — %s%s (supervisor pid %d; hiverun logs, hiverun status, hiverun stop)\n",
		float64(st.BootMS)/1000, strings.Join(parts, " → "), more, supervisor)
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
		switch {
		case len(lines) == 0:
			// Skipped, or silent: no empty "last 0 lines".
			continue
		case len(lines) == 1:
			fmt.Fprintf(out, "last line of %s:\n", in.Display)
		default:
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
