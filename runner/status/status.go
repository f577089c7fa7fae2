// Package status is what hiverun reports about a stack without running
// it: the plan as `check` shows it, and the stack of a project's state
// folder as `status` and `history` show it, read from memory.json, the
// pidfiles and the lock: what runs and how it is, and how past boots went.
// It reads; it never starts, signals or changes anything.
package status

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// Row is one instance in `status`.
type Row struct {
	Name     string `json:"name"`
	Process  string `json:"process"`
	State    string `json:"state"`
	ExitCode *int   `json:"exit_code,omitempty"` // exited, failed or backoff after a process ran
	// Reason is why it failed, was skipped, exited or backs off, as the
	// runner said it ("exited with code 4 before it was ready").
	Reason     string        `json:"reason,omitempty"`
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

// Report is `status`: the supervisor and every instance, and whether
// the stack is up as scripts wait for it (the exit code).
type Report struct {
	Supervisor *Supervisor `json:"supervisor"`
	Instances  []Row       `json:"instances"`
	OK         bool        `json:"ok"`
}

// Supervisor is the stack's supervisor as memory.json and the lock say.
type Supervisor struct {
	PID       int       `json:"pid"`
	Alive     bool      `json:"alive"`
	StartedAt time.Time `json:"started_at"`
	Procfile  string    `json:"procfile"`
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

// settle says row's state as it is now: memory.json's, corrected by
// whether its process still runs and its supervisor still lives, with the
// code and reason of an end.
func settle(row *Row, in *state.Instance, alive, supAlive bool) {
	switch in.State {
	case life.Exited, life.Failed, life.Backoff:
		row.ExitCode, row.Reason = in.ExitCode, in.Reason
	case life.Skipped:
		row.Reason = in.Reason
	}
	switch {
	case in.State == life.Stopping && !alive:
		// Its stop is done; memory.json was about to say so.
		row.State = string(life.Stopped)
	case in.Running() && !alive:
		// Ended, and memory.json not yet saying so: "gone" was a word
		// of status's own, outside the states.
		row.State = string(life.Exited)
		if row.Reason == "" {
			row.Reason = "its process is no longer running"
		}
	case alive && !supAlive:
		row.State = "orphaned"
	case !supAlive && (in.State == life.Waiting || in.State == life.Backoff):
		// No supervisor will ever start it.
		row.State = string(life.Stopped)
	}
}

// Build reads the stack of a state folder (nil: none has run here) as
// `status` shows it.
func Build(dir *state.Dir) (*Report, error) {
	rep := &Report{Instances: []Row{}}
	if dir == nil {
		return rep, nil
	}
	mem, err := dir.LoadMemory()
	if err != nil {
		return nil, err
	}
	held, lockPid := dir.Held()
	if sup := mem.Supervisor; sup != nil {
		rep.Supervisor = &Supervisor{PID: sup.PID, StartedAt: sup.StartedAt, Procfile: sup.Procfile,
			Alive: held && proc.Ours(sup.PID, sup.CreateTime)}
	} else if held {
		rep.Supervisor = &Supervisor{PID: lockPid, Alive: true}
	}
	supAlive := rep.Supervisor != nil && rep.Supervisor.Alive
	now := time.Now()
	seen := map[string]bool{}
	var groups proc.Groups
	rep.OK = len(mem.Instances) > 0
	for _, in := range mem.Instances {
		seen[in.Name] = true
		row := Row{Name: in.Name, Process: in.Process, State: string(in.State), PID: in.PID, Port: in.Port,
			Optional: in.Optional, Oneshot: in.Oneshot, Health: in.Health, Restarts: in.Restarts}
		alive := in.Ours()
		settle(&row, in, alive, supAlive)
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
		rep.Instances = append(rep.Instances, Row{Name: pf.Name, Process: base, State: "orphaned", PID: pf.PID})
		rep.OK = false
	}
	return rep, nil
}

// Print writes rep as the `status` table.
func Print(out io.Writer, rep *Report) {
	switch s := rep.Supervisor; {
	case s == nil && len(rep.Instances) == 0:
		fmt.Fprintln(out, "nothing has run here yet")
		return
	case s == nil:
		fmt.Fprintln(out, "supervisor: not running (the stack was stopped)")
	case s.Alive:
		fmt.Fprintf(out, "supervisor: pid %d, up %s (%s)\n", s.PID, RoundDur(time.Since(s.StartedAt)), s.Procfile)
	default:
		fmt.Fprintf(out, "supervisor: pid %d is gone (killed?); its processes are orphaned: `hiverun stop` or `hiverun` cleans up\n", s.PID)
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPID\tPORT\tHEALTH\tUPTIME\tRESTARTS\tCPU\tMEM")
	for _, r := range rep.Instances {
		pid, uptime, cpu, mem, health := "-", "-", "-", "-", "-"
		if r.PID > 0 {
			pid = fmt.Sprint(r.PID)
			uptime = RoundDur(time.Duration(r.UptimeMS) * time.Millisecond).String()
			cpu = fmt.Sprintf("%.1f%%", r.CPUPercent)
			mem = fmt.Sprintf("%.1f MiB", float64(r.RSSBytes)/(1<<20))
		}
		if h := r.Health; h != nil {
			word := "ok"
			if !h.OK {
				word = "failing: " + h.Message
			}
			health = fmt.Sprintf("%s (%s ago)", word, RoundDur(time.Since(h.At)))
		}
		st := r.State
		if r.ExitCode != nil && (st == string(life.Exited) || st == string(life.Failed) || st == string(life.Backoff)) {
			// A signal as the screen said it, not as 128 plus its number.
			if w := strings.Fields(r.Reason); len(w) >= 3 && w[0] == "killed" && w[1] == "by" {
				st += " (killed by " + w[2] + ")"
			} else {
				st += fmt.Sprintf(" (code %d)", *r.ExitCode)
			}
		}
		if r.Optional {
			st += " (optional)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", r.Name, st, pid, r.Port, health, uptime, r.Restarts, cpu, mem)
	}
	tw.Flush()
}

// RoundDur rounds an age or uptime to what a reader of it needs.
func RoundDur(d time.Duration) time.Duration {
	switch {
	case d > time.Hour:
		return d.Round(time.Minute)
	case d > time.Minute:
		return d.Round(time.Second)
	default:
		return d.Round(100 * time.Millisecond)
	}
}
