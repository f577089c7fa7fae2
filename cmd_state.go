package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// rootDir is the project folder without parsing the Procfile: status,
// stop and history must work even when the Procfile is broken or gone.
func (g *globals) rootDir() string {
	if g.root != "" {
		return g.root
	}
	return filepath.Dir(g.procfilePath())
}

// openState opens an existing state folder; nil when there is none.
func (g *globals) openState() (*state.Dir, error) {
	root, err := filepath.Abs(g.rootDir())
	if err != nil {
		return nil, err
	}
	return state.Open(root, false)
}

// statusRow is one instance in `status`.
type statusRow struct {
	Name       string        `json:"name"`
	Process    string        `json:"process"`
	State      string        `json:"state"`
	PID        int           `json:"pid"`
	Port       int           `json:"port"`
	Optional   bool          `json:"optional"`
	Oneshot    bool          `json:"oneshot"`
	Health     *state.Health `json:"health"`
	UptimeMS   int64         `json:"uptime_ms"`
	Restarts   int           `json:"restarts"`
	CPUPercent float64       `json:"cpu_percent"`
	RSSBytes   uint64        `json:"rss_bytes"`
}

type statusReport struct {
	Supervisor *supervisorStatus `json:"supervisor"`
	Instances  []statusRow       `json:"instances"`
	OK         bool              `json:"ok"`
}

type supervisorStatus struct {
	PID       int       `json:"pid"`
	Alive     bool      `json:"alive"`
	StartedAt time.Time `json:"started_at"`
	Procfile  string    `json:"procfile"`
}

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what is running: state, pid, port, health, uptime, CPU and memory",
		Long: `Show each instance of the stack started in this folder, whether its
supervisor is alive (in another terminal) or was killed (its processes are
then shown as orphaned). HEALTH is the last check and when it ran. Exit 0
when every required process is up and ready (or stopped on request with
` + "`hiverun stop PROC`" + `), 1 otherwise, so scripts can wait on it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := buildStatus(g)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(out, rep); err != nil {
					return err
				}
			} else {
				printStatus(out, rep)
			}
			if !rep.OK {
				return &codeError{Code: exitFailed}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// groupOf is an instance's processes: its leader and the living members
// of its group, the leader once (it is usually one of them).
func groupOf(leader int, members []int) []int {
	out := []int{leader}
	for _, pid := range members {
		if pid != leader {
			out = append(out, pid)
		}
	}
	return out
}

func buildStatus(g *globals) (*statusReport, error) {
	rep := &statusReport{Instances: []statusRow{}}
	dir, err := g.openState()
	if err != nil || dir == nil {
		return rep, err
	}
	mem, err := dir.LoadMemory()
	if err != nil {
		return nil, err
	}
	held, lockPid := dir.Held()
	if sup := mem.Supervisor; sup != nil {
		rep.Supervisor = &supervisorStatus{PID: sup.PID, StartedAt: sup.StartedAt, Procfile: sup.Procfile,
			Alive: held && proc.Ours(sup.PID, sup.CreateTime)}
	} else if held {
		rep.Supervisor = &supervisorStatus{PID: lockPid, Alive: true}
	}
	supAlive := rep.Supervisor != nil && rep.Supervisor.Alive
	now := time.Now()
	seen := map[string]bool{}
	var groups proc.Groups
	rep.OK = len(mem.Instances) > 0
	for _, in := range mem.Instances {
		seen[in.Name] = true
		row := statusRow{Name: in.Name, Process: in.Process, State: string(in.State), PID: in.PID, Port: in.Port,
			Optional: in.Optional, Oneshot: in.Oneshot, Health: in.Health, Restarts: in.Restarts}
		alive := in.Ours()
		switch {
		case in.State == life.Stopping && !alive:
			// Its stop is done; memory.json was about to say so.
			row.State = string(life.Stopped)
		case in.Running() && !alive:
			row.State = "gone"
		case alive && !supAlive:
			row.State = "orphaned"
		case !supAlive && (in.State == life.Waiting || in.State == life.Backoff):
			// No supervisor will ever start it.
			row.State = string(life.Stopped)
		}
		if !alive && in.Health != nil && in.Health.OK {
			// "ok" for a process that no longer runs would be a lie; a
			// failing answer still says why it is not running.
			row.Health = nil
		}
		if alive {
			if in.StartedAt != nil {
				row.UptimeMS = now.Sub(*in.StartedAt).Milliseconds()
			}
			u := proc.UsageOf(groupOf(in.PID, groups.Members(in.PGID)))
			row.CPUPercent, row.RSSBytes = u.CPUPercent, u.RSS
		} else {
			row.PID = 0
		}
		up := row.State == "ready" || (in.Oneshot && row.State == "exited" && in.ExitCode != nil && *in.ExitCode == 0) ||
			// Stopped on request (`hiverun stop web`) is not a failure.
			supAlive && row.State == string(life.Stopped)
		if !in.Optional && !up {
			rep.OK = false
		}
		rep.Instances = append(rep.Instances, row)
	}
	// Pidfiles that memory.json lost track of.
	for _, pf := range dir.ReadPids() {
		if seen[pf.Name] || !mem.PidfileProves(pf) {
			continue
		}
		base, _, _ := strings.Cut(pf.Name, ".")
		rep.Instances = append(rep.Instances, statusRow{Name: pf.Name, Process: base, State: "orphaned", PID: pf.PID})
		rep.OK = false
	}
	return rep, nil
}

func printStatus(out io.Writer, rep *statusReport) {
	switch s := rep.Supervisor; {
	case s == nil && len(rep.Instances) == 0:
		fmt.Fprintln(out, "nothing has run here yet")
		return
	case s == nil:
		fmt.Fprintln(out, "supervisor: not running (the stack was stopped)")
	case s.Alive:
		fmt.Fprintf(out, "supervisor: pid %d, up %s (%s)\n", s.PID, roundDur(time.Since(s.StartedAt)), s.Procfile)
	default:
		fmt.Fprintf(out, "supervisor: pid %d is gone (killed?); its processes are orphaned: `hiverun stop` or `hiverun` cleans up\n", s.PID)
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPID\tPORT\tHEALTH\tUPTIME\tRESTARTS\tCPU\tMEM")
	for _, r := range rep.Instances {
		pid, uptime, cpu, mem, health := "-", "-", "-", "-", "-"
		if r.PID > 0 {
			pid = fmt.Sprint(r.PID)
			uptime = roundDur(time.Duration(r.UptimeMS) * time.Millisecond).String()
			cpu = fmt.Sprintf("%.1f%%", r.CPUPercent)
			mem = fmt.Sprintf("%.1f MiB", float64(r.RSSBytes)/(1<<20))
		}
		if h := r.Health; h != nil {
			word := "ok"
			if !h.OK {
				word = "failing: " + h.Message
			}
			health = fmt.Sprintf("%s (%s ago)", word, roundDur(time.Since(h.At)))
		}
		st := r.State
		if r.Optional {
			st += " (optional)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", r.Name, st, pid, r.Port, health, uptime, r.Restarts, cpu, mem)
	}
	tw.Flush()
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d > time.Hour:
		return d.Round(time.Minute)
	case d > time.Minute:
		return d.Round(time.Second)
	default:
		return d.Round(100 * time.Millisecond)
	}
}

func newStopCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "stop [PROCESS...]",
		Short: "Stop the stack (or the named processes), from any terminal",
		Long: `Stop the stack started in this folder, from any terminal. With a live
supervisor (a foreground hiverun or up --detach), it is asked to stop the
stack in order, dependents first, and exit. With none (it was killed),
hiverun stops the processes it left behind directly, those it can prove
are its own.

With names, stop PROCESS... stops only those processes (web, or one
instance: web.2), each with its stop signal, then SIGKILL after its grace.
This is not a failure: the rest of the stack keeps running, what depends
on them included, and when every process has been stopped so, the
supervisor ends with exit 0. hiverun restart PROCESS starts one again.`,
		Example: `  hiverun stop                # the whole stack
  hiverun stop worker         # only worker; the rest keeps running
  hiverun restart worker      # and back`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if dir == nil {
				fmt.Fprintln(out, "nothing to stop: no stack has run here")
				return nil
			}
			log, err := dir.OpenLog()
			if err != nil {
				return err
			}
			defer log.Close()
			ok, err := dir.TryLockSettled(cmd.Context())
			if err != nil {
				return err
			}
			if !ok {
				mem, err := dir.LoadMemory()
				if err != nil {
					return err
				}
				if len(args) > 0 {
					return askSupervisor(cmd, dir, "stop", args, false)
				}
				if mem.Supervisor == nil {
					return &state.Refused{Msg: "a hiverun holds this folder but memory.json does not name it; not signalling an unknown process"}
				}
				log.Write(time.Now(), "INFO", fmt.Sprintf("stop: asked supervisor pid %d to stop", mem.Supervisor.PID))
				_ = dir.NoteStop(mem.Supervisor.PID, fmt.Sprintf("stopped by hiverun stop (pid %d)", os.Getpid()))
				if err := state.StopSupervisor(cmd.Context(), dir, mem.Supervisor, 2*time.Minute); err != nil {
					return err
				}
				fmt.Fprintf(out, "stopped the stack (supervisor pid %d)\n", mem.Supervisor.PID)
				return nil
			}
			defer dir.Unlock()
			mem, err := dir.LoadMemory()
			if err != nil {
				return err
			}
			for _, w := range dir.Warnings {
				fmt.Fprintln(os.Stderr, "hiverun: warning: "+w)
			}
			var plan *procfile.Plan
			if p, err := g.plan(nil); err == nil {
				plan = p
			}
			n, names := state.StopLeftovers(cmd.Context(), dir, mem, args, plan, log)
			mem.Supervisor = nil
			if err := dir.SaveMemory(mem); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintln(out, "nothing to stop: no process of this stack is running")
				return nil
			}
			fmt.Fprintf(out, "stopped %s: %s\n", life.Count(n, "process"), state.NameList(names))
			return nil
		},
	}
}

type historyReport struct {
	Startups []historyStartup `json:"startups"`
	Totals   historyTotals    `json:"totals"`
}

// historyStartup is a startup as history --json has always shown it: the
// result as one line of text (memory.json keeps it typed).
type historyStartup struct {
	*state.Startup
	Result string `json:"result"`
}

type historyTotals struct {
	state.Totals
	MedianBootMS int64  `json:"median_boot_ms"`
	P95BootMS    int64  `json:"p95_boot_ms"`
	Slowest      string `json:"slowest_process"`
	SlowestMS    int64  `json:"slowest_median_ms"`
	Trend        string `json:"slowest_trend"`
}

func newHistoryCmd(g *globals) *cobra.Command {
	var (
		asJSON bool
		svg    string
		boot   int
	)
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Past startups: boot time, critical path, per-process time to ready, result",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			rep := historyReport{Startups: []historyStartup{}}
			if dir != nil {
				mem, err := dir.LoadMemory()
				if err != nil {
					return err
				}
				rep = buildHistory(mem)
			}
			out := cmd.OutOrStdout()
			if svg != "" {
				return writeBootSVG(svg, dir, boot)
			}
			if asJSON {
				return printJSON(out, rep)
			}
			printHistory(out, rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().StringVar(&svg, "svg", "", "draw a boot as an SVG waterfall in this file")
	cmd.Flags().IntVar(&boot, "boot", 1, "with --svg: which boot, counting back (1 is the last)")
	return cmd
}

func buildHistory(mem *state.Memory) historyReport {
	rep := historyReport{Startups: []historyStartup{}, Totals: historyTotals{Totals: mem.Totals}}
	for _, st := range mem.Startups {
		rep.Startups = append(rep.Startups, historyStartup{Startup: st, Result: st.Result.String()})
	}
	var boots []int64
	per := map[string][]int64{} // process -> ready ms, in startup order
	for _, st := range mem.Startups {
		if st.Result.Outcome == life.BootReady {
			boots = append(boots, st.BootMS)
		}
		for name, ms := range st.ReadyMS {
			per[name] = append(per[name], ms)
		}
	}
	rep.Totals.MedianBootMS, rep.Totals.P95BootMS = percentile(boots, 50), percentile(boots, 95)
	for name, xs := range per {
		if m := percentile(xs, 50); m > rep.Totals.SlowestMS || rep.Totals.Slowest == "" {
			rep.Totals.Slowest, rep.Totals.SlowestMS = name, m
		}
	}
	if xs := per[rep.Totals.Slowest]; len(xs) >= 4 {
		// The last half of the kept boots against the first half.
		h := len(xs) / 2
		before, after := mean(xs[:h]), mean(xs[h:])
		if before > 0 {
			rep.Totals.Trend = fmt.Sprintf("%+.0f%%", 100*(after-before)/before)
		}
	}
	return rep
}

func percentile(xs []int64, p int) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]int64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i]
}

func mean(xs []int64) float64 {
	var t int64
	for _, x := range xs {
		t += x
	}
	return float64(t) / float64(len(xs))
}

func printHistory(out io.Writer, rep historyReport) {
	if len(rep.Startups) == 0 {
		fmt.Fprintln(out, "no startups recorded here yet")
		return
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tSELECTION\tBOOT\tRESULT\tRECLAIMED\tCRITICAL PATH")
	for _, st := range rep.Startups {
		sel := strings.Join(st.Selection, ",")
		if sel == "" {
			sel = "all"
		}
		var path []string
		for _, n := range st.CriticalPath {
			path = append(path, fmt.Sprintf("%s %.2fs", n, float64(st.ReadyMS[n])/1000))
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2fs\t%s\t%d\t%s\n", st.At.Local().Format("2006-01-02 15:04:05"), sel,
			float64(st.BootMS)/1000, st.Result, st.Reclaimed, strings.Join(path, " → "))
	}
	tw.Flush()
	t := rep.Totals
	fmt.Fprintf(out, "\n%s (%d ready, %d failed), %s reclaimed; boot median %.2fs, p95 %.2fs",
		life.Count(t.Startups, "startup"), t.Ready, t.Failed, life.Count(t.Reclaimed, "process"), float64(t.MedianBootMS)/1000, float64(t.P95BootMS)/1000)
	if t.Slowest != "" {
		fmt.Fprintf(out, "; slowest: %s (median %.2fs", t.Slowest, float64(t.SlowestMS)/1000)
		if t.Trend != "" {
			fmt.Fprintf(out, ", trend %s", t.Trend)
		}
		fmt.Fprint(out, ")")
	}
	fmt.Fprintln(out)
}

// askSupervisor sends a request over the control channel and prints the
// answer; an error answer is exit 1.
func askSupervisor(cmd *cobra.Command, dir *state.Dir, op string, names []string, deps bool) error {
	r, err := dir.Ask(op, names, deps)
	if err != nil {
		return err
	}
	if !r.OK {
		return errors.New(r.Error)
	}
	fmt.Fprintln(cmd.OutOrStdout(), r.Message)
	return nil
}

func newRestartCmd(g *globals) *cobra.Command {
	var deps bool
	cmd := &cobra.Command{
		Use:   "restart PROCESS...",
		Short: "Restart processes of the running stack",
		Long: `Restart the named processes (web, or one instance: web.2) of the stack running
in this folder: each is stopped with its stop signal and started again, and
the command returns once it is ready again. What depends on them is left
alone unless --deps is given.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{Msg: "restart needs process names"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			if dir == nil {
				return state.ErrNoSupervisor
			}
			return askSupervisor(cmd, dir, "restart", args, deps)
		},
	}
	cmd.Flags().BoolVar(&deps, "deps", false, "also restart what depends on them")
	return cmd
}
