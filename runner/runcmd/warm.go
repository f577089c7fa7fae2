package runcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// A warm start: `run --with` in a folder where a stack already runs, in
// the foreground of another terminal or detached, uses that stack.
//
// What is missing is started by the running supervisor, asked over its
// control channel, not by this run. The folder has one stack, one
// supervisor, one memory.json and one lock: `status` and `logs` show the
// processes this run needed wherever the stack's others are, `hiverun
// stop` stops them all, and nothing fights over the pidfiles or takes
// the lock away from the supervisor. A run that started its own
// supervisor beside the first (a separate instance scope) would need a
// second memory and lock that status, stop and reclaim all had to know
// about, and its processes would be invisible to the stack they depend
// on. When the command is done, the run asks the supervisor to stop
// exactly what it started for it; everything else runs on. A process the
// stack was not started with is added to it, resolved in the run's
// environment, and stopped again the same way (it then shows as stopped).

// Warm is the running stack a run --with uses.
type Warm struct {
	dir     *state.Dir
	sup     *state.Supervisor
	using   []string // what runs and is ready: "web (pid 123)"
	missing []string // instances to have started
	pending []string // instances it is starting already
	needed  []string // every instance the command needs
	envNote []string // reused, though started in another environment
	display map[string]string
}

// FindWarm looks for a live supervisor in plan's folder and checks that
// each instance of plan can be used from it or started by it. nil, nil:
// no stack runs here, and the run boots its own.
func FindWarm(plan *procfile.Plan) (*Warm, error) {
	dir, err := state.Open(plan.Root, false)
	if err != nil || dir == nil {
		return nil, err
	}
	held, lockPid := dir.Held()
	if !held {
		return nil, nil
	}
	mem, err := supervisorMemory(dir, lockPid)
	if err != nil {
		return nil, err
	}
	sup := mem.Supervisor
	w := &Warm{dir: dir, sup: sup, display: map[string]string{}}
	var changed []string
	for _, in := range plan.Instances {
		w.display[in.Name] = in.Display
		w.needed = append(w.needed, in.Name)
		rec := mem.Lookup(in.Name)
		if rec == nil {
			// Not part of that stack: its supervisor adds it.
			w.missing = append(w.missing, in.Name)
			continue
		}
		ch, envDiffers := withoutEnv(rec.Change(in))
		if ch.Changed() {
			changed = append(changed, fmt.Sprintf("%s (%s)", in.Display, ch))
			continue
		}
		switch {
		case rec.Oneshot && rec.State == life.Exited && rec.ExitCode != nil && *rec.ExitCode == 0:
			w.using = append(w.using, in.Display+" (done)")
		case (rec.State == life.Ready || rec.State == life.Unhealthy) && rec.Ours():
			w.using = append(w.using, fmt.Sprintf("%s (pid %d)", in.Display, rec.PID))
			if envDiffers {
				w.envNote = append(w.envNote, in.Display)
			}
		case rec.State == life.Waiting || rec.State == life.Starting || rec.State == life.Backoff:
			w.pending = append(w.pending, in.Name)
		default:
			w.missing = append(w.missing, in.Name)
		}
	}
	if len(changed) > 0 {
		return nil, &state.Refused{Msg: fmt.Sprintf("the stack running here (supervisor pid %d) runs %s with other settings than the Procfile now says: not reused, and not stopped, since this run did not start it; apply the change (hiverun up --detach, or restart that hiverun), then run again", sup.PID, strings.Join(changed, ", "))}
	}
	return w, nil
}

// supervisorMemory reads memory.json once it names the lock's holder as
// its live supervisor. A supervisor that has just taken the lock (an `up
// --detach` or a takeover a moment ago) names itself there only once it
// has reclaimed the folder: it is given a few seconds for that.
func supervisorMemory(dir *state.Dir, lockPid int) (*state.Memory, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		mem, err := dir.LoadMemory()
		if err != nil {
			return nil, &state.Refused{Msg: fmt.Sprintf("a hiverun (pid %d) runs a stack here, but memory.json cannot be read (%v); run --with neither uses nor stops a stack it cannot read", lockPid, err)}
		}
		sup := mem.Supervisor
		if sup != nil && sup.PID == lockPid && proc.Ours(sup.PID, sup.CreateTime) {
			return mem, nil
		}
		if held, pid := dir.Held(); !held || pid != lockPid || time.Now().After(deadline) {
			return nil, &state.Refused{Msg: fmt.Sprintf("%s is locked by pid %d, which memory.json does not name as its supervisor; if it is not a hiverun starting up, stop it, then run again", dir.Path, lockPid)}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// withoutEnv drops the environment from a change: it is the shell's as
// much as the env files', and a stack started from another terminal (or
// CI step) always differs in it. Only what the Procfile says decides
// whether a running process is the one the command asked for.
func withoutEnv(ch procfile.Change) (procfile.Change, bool) {
	out := procfile.Change{Why: ch.Why, Live: ch.Live}
	env := false
	for _, k := range ch.Keys {
		if k == "env" {
			env = true
			continue
		}
		out.Keys = append(out.Keys, k)
	}
	return out, env
}

// Run has what is missing started, runs the command with env, then stops
// what was started for it. Signals go to the command while it runs.
func (w *Warm) Run(ctx context.Context, sigs <-chan os.Signal, env []string, pathEnv, root string, args []string) error {
	say := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "hiverun: "+format+"\n", a...) }
	if len(w.using) > 0 {
		say("using the stack that runs here (supervisor pid %d): %s", w.sup.PID, strings.Join(w.using, ", "))
	} else {
		say("using the stack that runs here (supervisor pid %d)", w.sup.PID)
	}
	if len(w.envNote) > 0 {
		verb, pron := "runs", "it was"
		if len(w.envNote) > 1 {
			verb, pron = "run", "they were"
		}
		say("%s %s with the environment %s started with, which differs from this shell's (or the env files') now", strings.Join(w.envNote, ", "), verb, pron)
	}
	started, err := w.startMissing(ctx, sigs, say)
	if err != nil {
		return err
	}
	defer w.stopStarted(started, say)
	c, err := Start(env, pathEnv, root, args)
	if err != nil {
		return err
	}
	return forwardUntilDone(c, sigs)
}

// startMissing asks the supervisor to start what is missing and waits
// until it is ready. It returns the instances leased to this run: those
// started for it, or kept running for another run's command.
func (w *Warm) startMissing(ctx context.Context, sigs <-chan os.Signal, say func(string, ...any)) ([]string, error) {
	if len(w.needed) == 0 {
		return nil, nil
	}
	if len(w.missing) > 0 {
		say("asking it to start %s", w.names(w.missing))
	}
	if len(w.pending) > 0 {
		say("waiting for %s, which it is starting", w.names(w.pending))
	}
	type answer struct {
		r   life.ControlReply
		err error
	}
	got := make(chan answer, 1)
	go func() {
		// In this shell's environment: a process the stack did not have
		// is resolved as this run resolved it.
		// Everything the command needs, not only what is missing: what
		// runs for another run's command is leased to this one too, so
		// that the other's end does not stop it under this one.
		r, err := w.dir.AskEnv("start", w.needed, false, os.Environ())
		got <- answer{r, err}
	}()
	select {
	case a := <-got:
		switch {
		case errors.Is(a.err, state.ErrNoSupervisor) && len(w.missing)+len(w.pending) == 0:
			// Everything runs; the lease only protects it from another
			// run's end.
			say("warning: the supervisor does not answer on its control channel; using what runs")
			return nil, nil
		case errors.Is(a.err, state.ErrNoSupervisor):
			return nil, &state.Refused{Msg: fmt.Sprintf("the stack's supervisor (pid %d) does not answer on its control channel; nothing was started", w.sup.PID)}
		case a.err != nil:
			return nil, a.err
		case !a.r.OK:
			w.stopStarted(a.r.Started, say)
			return nil, &exitcode.Code{Code: exitcode.Failed, Msg: fmt.Sprintf("the running stack could not start what the command needs: %s (hiverun logs shows its output); the command did not run", a.r.Error)}
		}
		if waited := slices.Concat(w.missing, w.pending); len(waited) > 0 {
			say("ready: %s", w.names(waited))
		}
		return a.r.Started, nil
	case s := <-sigs:
		// Its leases were taken when it got the request: give them back.
		w.stopStarted(w.needed, say)
		return nil, &exitcode.Code{Code: exitcode.Failed, Msg: fmt.Sprintf("interrupted (%v) before the command ran", s)}
	case <-ctx.Done():
		w.stopStarted(w.needed, say)
		return nil, ctx.Err()
	}
}

// stopStarted gives back this run's lease on what the supervisor started
// for it, which stops what no other run uses; the rest of the stack runs
// on.
func (w *Warm) stopStarted(names []string, say func(string, ...any)) {
	if len(names) == 0 {
		return
	}
	r, err := w.dir.Ask("release", names, false)
	switch {
	case errors.Is(err, state.ErrNoSupervisor):
		// Its supervisor is gone, and with it what it ran.
	case err != nil:
		say("could not stop %s, started for this command: %v", w.names(names), err)
	case !r.OK:
		say("could not stop %s, started for this command: %s", w.names(names), r.Error)
	default:
		say("%s; the rest of the stack runs on", r.Message)
	}
}

// names shows instances as the stack's screen does: web, or web.2 when
// scaled.
func (w *Warm) names(ins []string) string {
	out := make([]string, len(ins))
	for i, n := range ins {
		out[i] = n
		if d, ok := w.display[n]; ok {
			out[i] = d
		}
	}
	return strings.Join(out, ", ")
}
