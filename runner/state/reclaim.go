package state

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
)

// Refused is a start or stop that hiverun declines: exit code 3.
type Refused struct{ Msg string }

func (e *Refused) Error() string { return e.Msg }

// ReclaimOptions steer Reclaim.
type ReclaimOptions struct {
	Plan      *procfile.Plan
	NoReclaim bool
	Force     bool
	Say       func(format string, args ...any) // a line on screen
	Log       *Log
	// Wait bounds how long a live earlier supervisor may take to stop.
	Wait time.Duration
}

// Reclaim makes the folder ours before a start: it takes over from a live
// earlier supervisor (asking it to stop), stops every leftover process of
// ours, drops stale records, and checks every owned port. It returns the
// memory to carry on with and how many processes it stopped. The lock is
// held on return.
func Reclaim(ctx context.Context, d *Dir, o ReclaimOptions) (*Memory, int, error) {
	if o.Say == nil {
		o.Say = func(string, ...any) {}
	}
	if o.Wait == 0 {
		// An earlier stack may have long graces: as long as `stop` waits.
		o.Wait = 2 * time.Minute
	}
	if err := takeLock(ctx, d, o); err != nil {
		return nil, 0, err
	}
	mem, err := d.LoadMemory()
	if err != nil {
		return nil, 0, err
	}
	n, names := StopLeftovers(ctx, d, mem, nil, o.Plan, o.Log)
	if n > 0 {
		o.Say("reclaimed %s left by an earlier run: %s", life.Count(n, "process"), NameList(names))
	}
	if err := checkPorts(ctx, o, n > 0); err != nil {
		return nil, n, err
	}
	return mem, n, nil
}

// takeLock takes the supervisor lock, stopping a live earlier supervisor
// first unless NoReclaim.
func takeLock(ctx context.Context, d *Dir, o ReclaimOptions) error {
	ok, err := d.TryLockSettled(ctx)
	if err != nil || ok {
		return err
	}
	mem, merr := d.LoadMemory()
	_, lockPid := d.Held()
	if merr != nil {
		// Without memory.json nothing proves the holder is a hiverun of
		// this folder: it is not signalled.
		return &Refused{Msg: fmt.Sprintf("%s is locked by pid %d, and memory.json, which would name it, cannot be read (%v); stop that process yourself or fix the file", d.Path, lockPid, merr)}
	}
	sup := mem.Supervisor
	if o.NoReclaim {
		who := fmt.Sprintf("pid %d", lockPid)
		if sup != nil {
			who = fmt.Sprintf("pid %d, started %s", sup.PID, sup.StartedAt.Format("2006-01-02 15:04:05"))
		}
		return &Refused{Msg: fmt.Sprintf("another hiverun (%s) supervises this stack in %s; stop it with `hiverun stop`, or start without --no-reclaim to take over", who, d.Path)}
	}
	if sup == nil || !proc.Ours(sup.PID, sup.CreateTime) {
		return &Refused{Msg: fmt.Sprintf("%s is locked by pid %d, which hiverun cannot prove is its own supervisor (memory.json does not name it); stop that process yourself", d.Path, lockPid)}
	}
	o.Say("stopping the earlier hiverun (pid %d) to take over", sup.PID)
	o.Log.Write(time.Now(), "INFO", fmt.Sprintf("taking over: asked supervisor pid %d to stop", sup.PID))
	// Its screen says who took over: the signal alone cannot.
	_ = d.NoteStop(sup.PID, fmt.Sprintf("taken over by hiverun (pid %d) from another terminal", os.Getpid()))
	// The lock is taken the moment the earlier supervisor lets go: no
	// other hiverun can slip in between.
	f, err := stopSupervisor(ctx, d, sup, o.Wait)
	if err != nil {
		return err
	}
	d.hold(f)
	return nil
}

// StopSupervisor asks a live supervisor to stop its stack (it stops it in
// order) and waits until it has let go of the folder.
func StopSupervisor(ctx context.Context, d *Dir, sup *Supervisor, wait time.Duration) error {
	f, err := stopSupervisor(ctx, d, sup, wait)
	if err != nil {
		return err
	}
	f.Close()
	return nil
}

// stopSupervisor signals sup and waits for its lock, which it returns
// taken.
func stopSupervisor(ctx context.Context, d *Dir, sup *Supervisor, wait time.Duration) (*os.File, error) {
	if !proc.Ours(sup.PID, sup.CreateTime) {
		return nil, &Refused{Msg: fmt.Sprintf("supervisor pid %d is not the one memory.json names; not signalling it", sup.PID)}
	}
	proc.SignalPid(sup.PID, "TERM")
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	f, err := d.waitLock(wctx)
	switch {
	case err == nil:
		return f, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return nil, &Refused{Msg: fmt.Sprintf("supervisor pid %d did not stop within %s", sup.PID, wait)}
	}
	return nil, err
}

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
	want := func(name string) bool {
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
	pidfiles := d.ReadPids()
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
	// A supervisor that did not end cleanly may have started processes it
	// had no time to record: they carry the stack id in their environment.
	if mem.Supervisor != nil && mem.StackID != "" && len(names) == 0 {
		groups := map[int]bool{}
		for _, lo := range found {
			groups[lo.pgid] = true
		}
		for _, pid := range proc.FindByEnv(StackEnv + "=" + mem.StackID) {
			// Members of a found group go with it.
			if st, ok := proc.ReadStat(pid); covered(found, pid) || ok && groups[st.Pgid] {
				continue
			}
			ct, err := proc.CreateTime(pid)
			if err != nil {
				continue
			}
			found = append(found, leftover{name: "unrecorded", pid: pid, pgid: 0, ct: ct})
			if st, ok := proc.ReadStat(pid); ok && st.Pgid == pid {
				// A group leader: its group goes with it.
				found[len(found)-1].pgid = pid
				groups[pid] = true
			}
		}
	}
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

// NameList shows names on one screen line: the first few, then how many
// more (hiverun.log has a line for each).
func NameList(names []string) string {
	const shown = 6
	if len(names) <= shown+1 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more (each in hiverun.log)", strings.Join(names[:shown], ", "), len(names)-shown)
}

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

// checkPorts makes sure every owned port is free before anything starts.
// reclaimed says processes were just stopped: a port still busy with no
// holder to be seen may be one of their sockets being torn down, and gets
// a second to come free before it is refused.
func checkPorts(ctx context.Context, o ReclaimOptions, reclaimed bool) error {
	if o.Plan == nil {
		return nil
	}
	for _, in := range o.Plan.Instances {
		if !in.PortOwned || portFree(in.Port) {
			continue
		}
		use := proc.PortHolder(ctx, in.Port)
		if use.PID == 0 && reclaimed {
			deadline := time.Now().Add(time.Second)
			for !portFree(in.Port) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if portFree(in.Port) {
				continue
			}
			use = proc.PortHolder(ctx, in.Port)
		}
		if use.PID == 0 {
			return &Refused{Msg: blockedPort(in.Port, in.Name, use)}
		}
		holder := use.PID
		desc := proc.Describe(holder)
		if !o.Force {
			return &Refused{Msg: fmt.Sprintf("port %d (%s) is held by %s, which hiverun did not start; stop it, or run with --force to stop it (same user only)", in.Port, in.Name, desc)}
		}
		if me, err := user.Current(); err == nil && desc.User != me.Username {
			return &Refused{Msg: fmt.Sprintf("port %d (%s) is held by %s; --force stops only your own processes", in.Port, in.Name, desc)}
		}
		o.Say("--force: stopping %s, which holds port %d", desc, in.Port)
		o.Log.Write(time.Now(), "WARN", fmt.Sprintf("--force: stopping %s, which held port %d", desc, in.Port))
		ct, _ := proc.CreateTime(holder)
		stopOne(ctx, leftover{name: "port holder", pid: holder, ct: ct, signal: "TERM", grace: 5 * time.Second})
		deadline := time.Now().Add(2 * time.Second)
		for !portFree(in.Port) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if !portFree(in.Port) {
			return &Refused{Msg: fmt.Sprintf("port %d (%s) is still in use after stopping pid %d", in.Port, in.Name, holder)}
		}
	}
	return nil
}

// blockedPort explains a port that no server holds yet cannot be bound.
// --force does not apply: a connection's process is a client, not a
// server squatting on the port, and stopping it is not hiverun's call.
func blockedPort(port int, name string, use proc.PortUse) string {
	if use.State == "" {
		return fmt.Sprintf("port %d (%s) is in use and hiverun cannot see by whom (another user's process?); free it or change port=", port, name)
	}
	var by string
	switch {
	case use.ConnPID > 0:
		by = proc.Describe(use.ConnPID).String()
	case use.State == "TIME_WAIT" || use.State == "FIN_WAIT1" || use.State == "FIN_WAIT2" || use.State == "LAST_ACK" || use.State == "CLOSING":
		by = "no process; the kernel lets it go within a minute"
	default:
		by = "its process cannot be seen"
	}
	hint := "wait for it to close or change port="
	if lo, hi, ok := proc.EphemeralPorts(); ok && port >= lo && port <= hi {
		hint = fmt.Sprintf("ports %d-%d are where the kernel picks the local ports of outgoing connections, so any connection can take this one: choose a port below %d", lo, hi, lo)
	}
	return fmt.Sprintf("port %d (%s) is taken by a connection, not a server: %s %s (%s); %s", port, name, use.State, use.Ends, by, hint)
}

// portFree tries to listen on the port on every address: what the service
// itself is about to do.
func portFree(port int) bool {
	l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		// Any other refusal (a privileged port, say) is the service's
		// own business when it starts.
		return !errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use")
	}
	l.Close()
	return true
}
