package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/check"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
)

// inst is one running instance. Its goroutine (supervise) owns the process;
// the fields under mu are read by the supervisor for the live line and the
// summary.
type inst struct {
	spec       *procfile.Instance // as first planned: names, deps, flags
	cur        *procfile.Instance // how it runs now (a reload may change it); the instance's goroutine owns it
	idx        int
	deps       []*inst
	dependents []*inst
	prefix     *prefix
	tail       *tail

	settled chan struct{} // closed once ready, failed or skipped
	ok      bool          // written before settled is closed
	done    chan struct{} // closed when nothing of it runs any more

	log  *logFile      // its output file in a detached stack, else nil
	ctl  chan ctlReq   // control requests, taken while it serves or idles
	gate chan struct{} // closed while ready (see readyGate)

	mu       sync.Mutex
	restarts int
	state    State
	tries    int
	lastErr  string
	startAt  time.Time
	readyAt  time.Time
	pid      int
	exitCode int
}

// fingerprint is how the instance runs now. It reads cur under mu: the
// supervisor asks while the instance's goroutine may be swapping it.
func (in *inst) fingerprint() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return procfile.Fingerprint(in.cur)
}

func (in *inst) setCur(spec *procfile.Instance) {
	in.mu.Lock()
	in.cur = spec
	in.mu.Unlock()
}

func (in *inst) setState(s State) {
	in.mu.Lock()
	in.state = s
	in.mu.Unlock()
}

func (in *inst) getPid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.pid
}

func (in *inst) getState() State {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.state
}

func (in *inst) readyDuration() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.readyAt.Sub(in.startAt)
}

func (in *inst) settle(ok bool) {
	in.ok = ok
	close(in.settled)
}

// isOK is ok for any goroutine: false until the instance has settled.
func (in *inst) isOK() bool {
	select {
	case <-in.settled:
		return in.ok
	default:
		return false
	}
}

// child is a started process and the readers of its output.
type child struct {
	cmd     *exec.Cmd
	grp     *proc.Group
	pid     int
	exited  chan struct{} // closed once Wait has returned
	code    int
	desc    string
	drained chan struct{} // closed when its output reached EOF
	reader  *os.File
}

// exitedCode is the exit code of a child that has exited, else -1.
func exitedCode(p *child) int {
	select {
	case <-p.exited:
		return p.code
	default:
		return -1
	}
}

// drainedWithin gives the output readers up to d to reach EOF.
func (p *child) drainedWithin(d time.Duration) bool {
	select {
	case <-p.drained:
		return true
	case <-time.After(d):
		return false
	}
}

// drainWait gives the output readers up to d to reach EOF, then closes the
// read side so a descendant that keeps the pipe open cannot hold us.
func (p *child) drainWait(d time.Duration) {
	if !p.drainedWithin(d) {
		p.reader.Close()
		<-p.drained
	}
}

var errStopped = errors.New("stopped")

// supervise is the life of one instance: wait for dependencies, start,
// become ready, run, and stop after its dependents when the stack stops.
func (r *run) supervise(in *inst) {
	defer close(in.done)
	for _, d := range in.deps {
		select {
		case <-d.settled:
			if !d.ok {
				in.setState(StateSkipped)
				in.settle(false)
				msg := fmt.Sprintf("it depends on %s, which failed", d.spec.Display)
				r.record(life.Record{Kind: life.RecSkipped, Instance: in.spec, Msg: msg})
				r.send(event{in: in, kind: evSkipped, msg: msg})
				return
			}
		case <-r.stopped:
			in.setState(StateStopped)
			in.settle(false)
			return
		}
	}
	// Dependencies may have settled in the same instant the stack began to
	// stop; starting now would only mean stopping again.
	if r.isStopping() {
		in.setState(StateStopped)
		in.settle(false)
		return
	}
	if err := r.clean(in); err != nil {
		in.setState(StateFailed)
		in.settle(false)
		r.send(event{in: in, kind: evFailed, msg: err.Error()})
		return
	}
	p, err := r.start(in)
	if err != nil {
		in.setState(StateFailed)
		in.settle(false)
		r.record(life.Record{Kind: life.RecFailed, Instance: in.spec, Msg: err.Error(), Code: -1})
		r.send(event{in: in, kind: evFailed, msg: err.Error()})
		return
	}
	r.record(life.Record{Kind: life.RecStarted, Instance: in.cur, PID: p.pid, PGID: p.pid})
	r.send(event{in: in, kind: evStarted, code: p.pid})

	switch err := r.becomeReady(in, p); {
	case err == nil:
		in.mu.Lock()
		in.readyAt = r.opts.Now()
		if in.spec.Proc.Oneshot {
			in.state = StateExited
		} else {
			in.state = StateReady
		}
		in.mu.Unlock()
		in.settle(true)
		r.record(life.Record{Kind: life.RecReady, Instance: in.spec, Took: in.readyDuration()})
		if in.spec.Check.Kind != procfile.CheckNone {
			r.record(life.Record{Kind: life.RecHealth, Instance: in.spec, OK: true, Msg: in.spec.Check.String()})
		}
		r.send(event{in: in, kind: evReady})
	case errors.Is(err, errStopped):
		in.settle(false)
	default:
		// Let the last lines in before reporting them.
		select {
		case <-p.exited:
			p.drainWait(200 * time.Millisecond)
		default:
		}
		in.setState(StateFailed)
		in.settle(false)
		r.record(life.Record{Kind: life.RecFailed, Instance: in.spec, Msg: err.Error(), Code: exitedCode(p)})
		r.send(event{in: in, kind: evFailed, msg: err.Error()})
		// A process that timed out still runs: stop it now, it is of no
		// use and must not hold its port.
		r.stopProc(in, p)
		r.finish(in, p)
		return
	}

	if in.ok {
		// A finished oneshot stays ready for whoever restarts later.
		in.setGate(true)
	}
	if !in.spec.Proc.Oneshot && in.ok {
		p = r.serve(in, p)
	}
	<-r.stopped
	// Dependents stop first; a second interrupt does not wait for them.
	for _, d := range in.dependents {
		select {
		case <-d.done:
		case <-r.killNow:
		}
	}
	if p != nil {
		r.stopProc(in, p)
		r.finish(in, p)
	}
}

// start launches the instance's command with its output on a pipe (or a
// pseudo-terminal) read by pump.
func (r *run) start(in *inst) (*child, error) {
	spec := in.cur
	env := append(spec.Environ[:len(spec.Environ):len(spec.Environ)], r.opts.ExtraEnv...)
	var cmd *exec.Cmd
	if spec.Exec.Script == "" {
		if path := r.paths.Look(spec.Exec.Argv[0], spec.Env.Values["PATH"], spec.Dir); path != "" {
			cmd = &exec.Cmd{Path: path, Args: spec.Exec.Argv}
			env = append(env, spec.Exec.Env...)
		}
	}
	if cmd == nil {
		script := spec.Exec.Script
		if script == "" {
			script = spec.Proc.Command
		}
		path, args := proc.ShellArgs(script)
		cmd = &exec.Cmd{Path: path, Args: args}
	}
	cmd.Env, cmd.Dir = env, spec.Dir
	if r.devNull != nil && !spec.TTY {
		// One /dev/null for every child instead of an open per start.
		cmd.Stdin = r.devNull
	}
	proc.Prepare(cmd, spec.TTY)
	p := &child{cmd: cmd, exited: make(chan struct{}), drained: make(chan struct{})}

	var err error
	// The plan's instance is shared and fingerprinted: a pipe standing in
	// for a missing pseudo-terminal is this start's business only.
	tty := spec.TTY
	if tty {
		p.reader, err = proc.StartPTY(r.reaper, cmd)
		if errors.Is(err, proc.ErrNoPTY) {
			proc.Prepare(cmd, false)
			tty = false
		}
	}
	if !tty {
		var w *os.File
		p.reader, w, err = os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("could not start: %v", err)
		}
		// stdout and stderr share one pipe, as under foreman, so their
		// order is kept.
		cmd.Stdout, cmd.Stderr = w, w
		err = r.reaper.Spawn(func() (int, error) {
			if err := cmd.Start(); err != nil {
				return 0, err
			}
			return cmd.Process.Pid, nil
		})
		w.Close()
	}
	if err != nil {
		if p.reader != nil {
			p.reader.Close()
		}
		return nil, fmt.Errorf("could not start: %v", err)
	}
	p.pid = cmd.Process.Pid
	p.grp, err = proc.Attach(cmd)
	if err != nil {
		r.info("%s: could not attach to its process tree: %v", spec.Display, err)
	}
	in.mu.Lock()
	in.pid, in.startAt, in.state = p.pid, r.opts.Now(), StateStarting
	in.mu.Unlock()

	go func() {
		pump(p.reader, func(lines [][]byte) {
			if in.log != nil {
				in.log.lines(r.opts.Now(), lines)
			} else {
				r.out.lines(in.prefix, lines)
			}
			in.tail.add(lines)
		})
		p.reader.Close()
		close(p.drained)
	}()
	go func() {
		proc.AwaitExit(p.pid)
		_ = cmd.Wait()
		r.reaper.Waited(p.pid)
		p.code, p.desc = proc.ExitDescription(cmd.ProcessState)
		close(p.exited)
	}()
	return p, nil
}

// becomeReady waits until the instance is ready by its own measure.
func (r *run) becomeReady(in *inst, p *child) error {
	spec := in.cur
	def := spec.Proc
	deadline := time.NewTimer(def.Timeout)
	defer deadline.Stop()
	exitedEarly := func() error {
		return fmt.Errorf("%s before it was ready", p.desc)
	}
	if def.Oneshot {
		in.setState(StateChecking)
		select {
		case <-p.exited:
			if p.code != 0 {
				return fmt.Errorf("%s", p.desc)
			}
			// Its last lines before the line saying it is done. The pipe
			// stays open: a child it left running may still write to it.
			p.drainedWithin(100 * time.Millisecond)
			return nil
		case <-deadline.C:
			return fmt.Errorf("did not finish within its timeout of %s", def.Timeout)
		case <-r.stopped:
			return errStopped
		}
	}
	if def.Delay > 0 {
		select {
		case <-time.After(def.Delay):
		case <-p.exited:
			return exitedEarly()
		case <-r.stopped:
			return errStopped
		}
	}
	if spec.Check.Kind == procfile.CheckNone {
		select {
		case <-p.exited:
			return exitedEarly()
		default:
			return nil
		}
	}
	in.setState(StateChecking)
	ck := check.New(spec.Check, spec.Environ, spec.Dir, r.reaper)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.exited:
		case <-r.stopped:
		case <-deadline.C:
		case <-ctx.Done():
			return
		}
		cancel()
	}()
	began := time.Now()
	var last error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		err := ck.Try(attempt)
		cancelAttempt()
		if err == nil {
			return nil
		}
		// An attempt cut short by the deadline says nothing about the
		// service: report the last real answer instead.
		if ctx.Err() == nil || last == nil {
			last = err
		}
		in.mu.Lock()
		in.tries++
		in.lastErr = last.Error()
		in.mu.Unlock()
		select {
		case <-time.After(check.Interval(spec.Check.Kind, time.Since(began), r.opts.Expected[spec.Name])):
			continue
		case <-ctx.Done():
		}
		select {
		case <-r.stopped:
			return errStopped
		case <-p.exited:
			return exitedEarly()
		default:
		}
		r.record(life.Record{Kind: life.RecHealth, Instance: spec, OK: false, Msg: last.Error()})
		return fmt.Errorf("not ready within its timeout of %s (%s: %v, %d tries)", def.Timeout, spec.Check, last, in.tries)
	}
}
