package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// Request sends a request over the control channel and returns the
// supervisor's answer; a refusal is an error with its words.
func (d *Dir) Request(op string, names []string, deps bool) (string, error) {
	r, err := d.Ask(op, names, deps)
	if err != nil {
		return "", err
	}
	if !r.OK {
		return "", errors.New(r.Error)
	}
	return r.Message, nil
}

// Restart is `hiverun restart NAME...` on the state folder dir (nil: no
// stack has run here): the live supervisor restarts them (and their
// dependents with deps) and says what it did.
func Restart(dir *Dir, names []string, deps bool) (string, error) {
	if dir == nil {
		return "", ErrNoSupervisor
	}
	return dir.Request("restart", names, deps)
}

// Stop is `hiverun stop [NAME...]` on the state folder dir (nil: no stack
// has run here) and returns what to tell the user. With a live supervisor,
// it is asked to stop the named processes, or to stop the stack and exit;
// with none, Stop stops the processes it left behind itself, those it can
// prove are its own. plan is the Procfile's plan, nil when it cannot be
// read; it is asked for only then. Warnings about the folder go to warn.
func Stop(ctx context.Context, dir *Dir, names []string, plan func() *procfile.Plan, warn io.Writer) (string, error) {
	if dir == nil {
		return "nothing to stop: no stack has run here", nil
	}
	log, err := dir.OpenLog()
	if err != nil {
		return "", err
	}
	defer log.Close()
	ok, err := dir.TryLockSettled(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		msg, err := stopLive(ctx, dir, names, log)
		if err == nil {
			warnDependents(warn, names, plan())
		}
		return msg, err
	}
	defer dir.Unlock()
	mem, err := dir.LoadMemory()
	if err != nil {
		return "", err
	}
	for _, w := range dir.Warnings {
		fmt.Fprintln(warn, "hiverun: warning: "+w)
	}
	n, stopped := StopLeftovers(ctx, dir, mem, names, plan(), log)
	mem.Supervisor = nil
	if err := dir.SaveMemory(mem); err != nil {
		return "", err
	}
	if n == 0 {
		return "nothing to stop: no process of this stack is running", nil
	}
	return fmt.Sprintf("stopped %s: %s", life.Count(n, "process"), NameList(stopped)), nil
}

// stopLive asks the live supervisor that holds the lock.
func stopLive(ctx context.Context, dir *Dir, names []string, log *Log) (string, error) {
	mem, err := dir.LoadMemory()
	if err != nil {
		return "", err
	}
	if len(names) > 0 {
		return dir.Request("stop", names, false)
	}
	if mem.Supervisor == nil {
		return "", &Refused{Msg: "a hiverun holds this folder but memory.json does not name it; not signalling an unknown process"}
	}
	log.Write(time.Now(), "INFO", fmt.Sprintf("stop: asked supervisor pid %d to stop", mem.Supervisor.PID))
	_ = dir.NoteStop(mem.Supervisor.PID, fmt.Sprintf("stopped by hiverun stop (pid %d)", os.Getpid()))
	if err := StopSupervisor(ctx, dir, mem.Supervisor, 2*time.Minute); err != nil {
		return "", err
	}
	return fmt.Sprintf("stopped the stack (supervisor pid %d)", mem.Supervisor.PID), nil
}

// warnDependents says which processes depend on those just stopped and
// run on without them: a required one that then exits stops the stack,
// which `stop redis` alone would not lead a user to expect.
func warnDependents(warn io.Writer, names []string, plan *procfile.Plan) {
	if plan == nil || len(names) == 0 {
		return
	}
	stopped := map[string]bool{}
	for _, n := range names {
		base, _, _ := strings.Cut(n, ".")
		stopped[base] = true
	}
	var deps, of []string
	seenOf := map[string]bool{}
	for _, p := range plan.Procfile.Processes {
		// A oneshot has done its work: it does not run on.
		if stopped[p.Name] || plan.Count[p.Name] == 0 || p.Oneshot {
			continue
		}
		for _, d := range p.Depends {
			if stopped[d] {
				deps = append(deps, p.Name)
				if !seenOf[d] {
					seenOf[d] = true
					of = append(of, d)
				}
				break
			}
		}
	}
	if len(deps) == 0 {
		return
	}
	verb, runs, them := "depends", "runs", "it"
	if len(deps) > 1 {
		verb, runs, them = "depend", "run", "them"
	}
	fmt.Fprintf(warn, "hiverun: %s %s on %s and %s on without it; a required process that then exits stops the stack (stop %s too, or restart %s when it should come back)\n",
		strings.Join(deps, ", "), verb, strings.Join(of, ", "), runs, them, strings.Join(of, " "))
}
