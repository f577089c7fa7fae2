package state

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/proc"
)

// Leftovers are processes of ours that outlived the supervisor that
// started them. Finding them takes three sources, because each can be
// missing what the others hold: memory.json (pid and create time), the
// pidfiles (written before memory.json catches up), and the stack id in
// the environment (processes started by a supervisor killed before it
// recorded anything).

// leftover is a process of ours that outlived its supervisor.
type leftover struct {
	name   string
	pid    int
	pgid   int
	ct     int64
	signal string
	grace  time.Duration
}

// StopLeftovers stops what earlier runs left running (only names, when
// given): every process proven ours by pid and create time (or, for a bare
// pidfile, by having been created before the pidfile was written), with
// its process group and descendants. Stale records are dropped and the
// pidfiles removed. It reports how many it stopped and their names.
func StopLeftovers(ctx context.Context, d *Dir, mem *Memory, names []string, plan *procfile.Plan, log *Log) (int, []string) {
	want := nameFilter(names)
	found := recordedLeftovers(mem, want, log)
	pidfiles := d.ReadPids()
	found = pidfileLeftovers(found, mem, pidfiles, want, log)
	// A supervisor that did not end cleanly may have started processes it
	// had no time to record: they carry the stack id in their environment.
	// Only a whole-stack reclaim looks for them: they have no name to match.
	if mem.Supervisor != nil && mem.StackID != "" && len(names) == 0 {
		found = unrecordedLeftovers(found, mem.StackID)
	}
	// After every source: an unrecorded process is stopped as a recorded
	// one is (it got no signal and no grace, so SIGKILL at once).
	setStopSignals(found, plan)
	stopAll(ctx, found)
	// Only now: a supervisor killed while stopping them must still find
	// them next time.
	for _, pf := range pidfiles {
		if want(pf.Name) {
			_ = d.RemovePid(pf.Name)
		}
	}
	var stopped []string
	for _, lo := range found {
		stopped = append(stopped, fmt.Sprintf("%s (pid %d)", lo.name, lo.pid))
		log.Write(time.Now(), "INFO", fmt.Sprintf("reclaimed %s (pid %d) left by an earlier run", lo.name, lo.pid))
	}
	return len(found), stopped
}

// nameFilter tells which instances a stop of names covers: all of them when
// no names are given, else an instance named exactly or by its process
// (web covers web.1 and web.2).
func nameFilter(names []string) func(string) bool {
	return func(name string) bool {
		if len(names) == 0 {
			return true
		}
		base, _, _ := strings.Cut(name, ".")
		for _, n := range names {
			if n == name || n == base {
				return true
			}
		}
		return false
	}
}

// recordedLeftovers takes the running instances memory.json records and
// keeps those still provably ours: the same pid and create time, or a group
// that outlived its leader (the number cannot have been reused). Every one
// is marked stopped, so a stale record does not survive the reclaim.
func recordedLeftovers(mem *Memory, want func(string) bool, log *Log) []leftover {
	var found []leftover
	var groups proc.Groups
	for _, in := range mem.Instances {
		if !want(in.Name) {
			continue
		}
		if !in.Running() {
			continue
		}
		lo := leftover{name: in.Name, pid: in.PID, pgid: in.PGID, ct: in.CreateTime}
		if in.Ours() || groupOutlived(in.PGID, &groups) {
			found = append(found, lo)
		} else {
			log.Write(time.Now(), "INFO", fmt.Sprintf("dropped stale record %s: pid %d is gone or is another process now", in.Name, in.PID))
		}
		in.State = "stopped"
	}
	return found
}

// pidfileLeftovers adds the processes only a pidfile names: a supervisor
// killed between starting a process and recording it leaves just that.
func pidfileLeftovers(found []leftover, mem *Memory, pidfiles []Pidfile, want func(string) bool, log *Log) []leftover {
	for _, pf := range pidfiles {
		if !want(pf.Name) || covered(found, pf.PID) {
			continue
		}
		// Not found through memory.json: its record of this pid (if any)
		// still decides whether the pid names our process.
		if mem.PidfileProves(pf) {
			ct, _ := proc.CreateTime(pf.PID)
			found = append(found, leftover{name: pf.Name, pid: pf.PID, pgid: pf.PID, ct: ct})
		} else {
			log.Write(time.Now(), "INFO", fmt.Sprintf("dropped stale pidfile %s: pid %d is gone, was started after it, or is another process than memory.json recorded", pf.Name, pf.PID))
		}
	}
	return found
}

// setStopSignals gives each leftover the signal and grace its Procfile
// entry asks for now, so a reclaim stops a process as `stop` would; without
// a plan (or for a process no longer in it) SIGTERM and 5 s.
func setStopSignals(found []leftover, plan *procfile.Plan) {
	for i := range found {
		found[i].signal, found[i].grace = "TERM", 5*time.Second
		if plan != nil {
			base, _, _ := strings.Cut(found[i].name, ".")
			if p := plan.Procfile.Lookup(base); p != nil {
				found[i].signal = p.Signal
				if p.GraceSet {
					found[i].grace = p.Grace
				}
			}
		}
	}
}

// unrecordedLeftovers adds the processes carrying stackID in their
// environment that no found leftover covers. Members of a found group go
// with it; a group leader takes its group along.
func unrecordedLeftovers(found []leftover, stackID string) []leftover {
	groups := map[int]bool{}
	for _, lo := range found {
		groups[lo.pgid] = true
	}
	for _, pid := range proc.FindByEnv(StackEnv + "=" + stackID) {
		if st, ok := proc.ReadStat(pid); covered(found, pid) || ok && groups[st.Pgid] {
			continue
		}
		ct, err := proc.CreateTime(pid)
		if err != nil {
			continue
		}
		found = append(found, leftover{name: "unrecorded", pid: pid, pgid: 0, ct: ct})
		if st, ok := proc.ReadStat(pid); ok && st.Pgid == pid {
			found[len(found)-1].pgid = pid
			groups[pid] = true
		}
	}
	return found
}

// covered tells whether a leftover already names pid, so no source adds a
// process twice.
func covered(los []leftover, pid int) bool {
	for _, lo := range los {
		if lo.pid == pid {
			return true
		}
	}
	return false
}

// groupOutlived tells whether a process group outlived its leader: it has
// living members, and no process has the group's number as its pid, so
// the number cannot have been given to anyone else. groups is the look at
// the process table shared by the questions asked at one moment.
func groupOutlived(pgid int, groups *proc.Groups) bool {
	return pgid > 0 && !proc.PidAlive(pgid) && groups.Living(pgid)
}

// stopAll stops the leftovers together: each gets its signal on its
// process group and on descendants that left the group, then SIGKILL
// after its grace. Ownership is checked again right before each signal.
func stopAll(ctx context.Context, los []leftover) {
	type target struct {
		lo     leftover
		deadln time.Time
		killed bool
		done   bool
	}
	var ts []*target
	now := time.Now()
	var groups proc.Groups
	for _, lo := range los {
		if signalLeftover(lo, lo.signal, &groups) {
			ts = append(ts, &target{lo: lo, deadln: now.Add(lo.grace)})
		}
	}
	step := time.Millisecond
	for {
		pending := 0
		var groups proc.Groups
		for _, t := range ts {
			if t.done {
				continue
			}
			if !leftoverAlive(t.lo, &groups) {
				t.done = true
				continue
			}
			pending++
			switch {
			case !t.killed && time.Now().After(t.deadln):
				signalLeftover(t.lo, "KILL", &groups)
				t.killed, t.deadln = true, time.Now().Add(5*time.Second)
			case t.killed && time.Now().After(t.deadln):
				// Unkillable (uninterruptible sleep?): give up on it.
				t.done = true
			}
		}
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			var groups proc.Groups
			for _, t := range ts {
				if !t.done {
					signalLeftover(t.lo, "KILL", &groups)
				}
			}
			return
		case <-time.After(step):
		}
		step = min(2*step, 5*time.Millisecond)
	}
}

// signalLeftover sends sig to a leftover's group and to its descendants
// outside the group, if they are still provably ours.
func signalLeftover(lo leftover, sig string, groups *proc.Groups) bool {
	leaderOurs := proc.Ours(lo.pid, lo.ct)
	sent := false
	if lo.pgid > 0 && (leaderOurs && lo.pgid == lo.pid || groupOutlived(lo.pgid, groups)) {
		proc.SignalGroup(lo.pgid, sig)
		sent = true
	}
	if leaderOurs {
		proc.SignalPid(lo.pid, sig)
		for _, pid := range proc.Descendants(lo.pid) {
			proc.SignalPid(pid, sig)
		}
		sent = true
	}
	return sent
}

// leftoverAlive tells whether anything of the leftover still runs: its
// leader, or a member of its group that is not a zombie (init reaps those
// when it gets to them; they hold no port and no file).
func leftoverAlive(lo leftover, groups *proc.Groups) bool {
	return proc.PidAlive(lo.pid) || groups.Living(lo.pgid)
}

func stopOne(ctx context.Context, lo leftover) { stopAll(ctx, []leftover{lo}) }
