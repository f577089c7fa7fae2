package state

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hiverun/hiverun/procfile"
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
		o.Wait = 30 * time.Second
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
		o.Say("reclaimed %d process(es) left by an earlier run: %s", n, strings.Join(names, ", "))
	}
	if err := checkPorts(ctx, o); err != nil {
		return nil, n, err
	}
	return mem, n, nil
}

// takeLock takes the supervisor lock, stopping a live earlier supervisor
// first unless NoReclaim.
func takeLock(ctx context.Context, d *Dir, o ReclaimOptions) error {
	ok, err := d.TryLock()
	if err != nil || ok {
		return err
	}
	mem, _ := d.LoadMemory()
	_, lockPid := d.Held()
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
	if err := StopSupervisor(ctx, d, sup, o.Wait); err != nil {
		return err
	}
	ok, err = d.TryLock()
	if err == nil && !ok {
		err = &Refused{Msg: fmt.Sprintf("%s: the lock was taken by another hiverun meanwhile", d.Path)}
	}
	return err
}

// StopSupervisor asks a live supervisor to stop its stack (it stops it in
// order) and waits until it has let go of the folder.
func StopSupervisor(ctx context.Context, d *Dir, sup *Supervisor, wait time.Duration) error {
	if !proc.Ours(sup.PID, sup.CreateTime) {
		return &Refused{Msg: fmt.Sprintf("supervisor pid %d is not the one memory.json names; not signalling it", sup.PID)}
	}
	proc.SignalPid(sup.PID, "TERM")
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if held, _ := d.Held(); !held {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return &Refused{Msg: fmt.Sprintf("supervisor pid %d did not stop within %s", sup.PID, wait)}
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
	seen := map[string]bool{}
	for _, in := range mem.Instances {
		if !want(in.Name) {
			continue
		}
		seen[in.Name] = true
		if !in.Running() {
			continue
		}
		lo := leftover{name: in.Name, pid: in.PID, pgid: in.PGID, ct: in.CreateTime}
		if proc.Ours(in.PID, in.CreateTime) || groupOutlived(in.PGID) {
			found = append(found, lo)
		} else {
			log.Write(time.Now(), "INFO", fmt.Sprintf("dropped stale record %s: pid %d is gone or is another process now", in.Name, in.PID))
		}
		in.State = "stopped"
	}
	for _, pf := range d.ReadPids() {
		if !want(pf.Name) || seen[pf.Name] {
			if want(pf.Name) {
				_ = d.RemovePid(pf.Name)
			}
			continue
		}
		// No memory of it (memory.json was lost): the pidfile alone must
		// prove the process.
		if proc.CreatedBefore(pf.PID, pf.Written, 10*time.Second) {
			ct, _ := proc.CreateTime(pf.PID)
			found = append(found, leftover{name: pf.Name, pid: pf.PID, pgid: pf.PID, ct: ct})
		} else {
			log.Write(time.Now(), "INFO", fmt.Sprintf("dropped stale pidfile %s: pid %d is gone or was started after it", pf.Name, pf.PID))
		}
		_ = d.RemovePid(pf.Name)
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
	stopAll(ctx, found)
	var stopped []string
	for _, lo := range found {
		stopped = append(stopped, fmt.Sprintf("%s (pid %d)", lo.name, lo.pid))
		log.Write(time.Now(), "INFO", fmt.Sprintf("reclaimed %s (pid %d) left by an earlier run", lo.name, lo.pid))
	}
	return len(found), stopped
}

// groupOutlived tells whether a process group outlived its leader: it has
// living members, and no process has the group's number as its pid, so
// the number cannot have been given to anyone else.
func groupOutlived(pgid int) bool {
	if pgid <= 0 || proc.PidAlive(pgid) {
		return false
	}
	return len(proc.GroupMembers(pgid)) > 0
}

// stopAll stops the leftovers together: each gets its signal on its group
// and descendants, then SIGKILL after its grace.
func stopAll(ctx context.Context, los []leftover) {
	var wg sync.WaitGroup
	for _, lo := range los {
		wg.Add(1)
		go func(lo leftover) {
			defer wg.Done()
			stopOne(ctx, lo)
		}(lo)
	}
	wg.Wait()
}

func stopOne(ctx context.Context, lo leftover) {
	targets := func() []int {
		// Checked again right before every signal: still ours?
		var pids []int
		if proc.Ours(lo.pid, lo.ct) {
			pids = append(pids, lo.pid)
			pids = append(pids, proc.Descendants(lo.pid)...)
		}
		if lo.pgid > 0 && (proc.Ours(lo.pid, lo.ct) && lo.pgid == lo.pid || groupOutlived(lo.pgid)) {
			pids = append(pids, proc.GroupMembers(lo.pgid)...)
		}
		return pids
	}
	send := func(sig string) bool {
		pids := targets()
		for _, pid := range pids {
			proc.SignalPid(pid, sig)
		}
		return len(pids) > 0
	}
	if !send(lo.signal) {
		return
	}
	deadline := time.Now().Add(lo.grace)
	step := time.Millisecond
	for {
		if len(targets()) == 0 {
			return
		}
		if time.Now().After(deadline) {
			send("KILL")
			deadline = time.Now().Add(5 * time.Second)
			lo.grace = -1
		}
		select {
		case <-ctx.Done():
			send("KILL")
			return
		case <-time.After(step):
		}
		step = min(2*step, 10*time.Millisecond)
		if lo.grace < 0 && time.Now().After(deadline) {
			return
		}
	}
}

// checkPorts makes sure every owned port is free before anything starts.
func checkPorts(ctx context.Context, o ReclaimOptions) error {
	if o.Plan == nil {
		return nil
	}
	for _, in := range o.Plan.Instances {
		if !in.PortOwned || portFree(in.Port) {
			continue
		}
		holder := proc.ListenerPID(ctx, in.Port)
		if holder == 0 {
			return &Refused{Msg: fmt.Sprintf("port %d (%s) is in use and hiverun cannot see by whom (another user's process?); free it or change port=", in.Port, in.Name)}
		}
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
