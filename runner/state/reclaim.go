package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
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

// NameList shows names on one screen line: the first few, then how many
// more (hiverun.log has a line for each).
func NameList(names []string) string {
	const shown = 6
	if len(names) <= shown+1 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more (each in hiverun.log)", strings.Join(names[:shown], ", "), len(names)-shown)
}
