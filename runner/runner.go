// Package runner supervises a resolved plan: it starts each instance as
// soon as what it depends on is ready, checks readiness, multiplexes output,
// and stops everything it started, in reverse dependency order.
package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
)

// Options are decided once, in main.
type Options struct {
	Stdout     io.Writer
	Color      bool
	Timestamps bool
	// Live shows the one-line "waiting" status while booting; only for a
	// terminal.
	Live      bool
	LiveWidth int
	Now       func() time.Time
	// Signals delivers the user's interrupts: the first stops the stack in
	// order, a second within a second of it is the same request, and a
	// later one kills at once.
	Signals <-chan os.Signal
	// Reaper, when set, adopts and reaps orphaned descendants (main only).
	Reaper *proc.Reaper
	// TailLines is how many of a failed process's last lines are shown.
	TailLines int
	// OnReady is called once every selected instance is ready (or, being
	// optional, failed), with the boot time.
	OnReady func(boot time.Duration)
	// Journal remembers what happens (nil: nothing is remembered).
	Journal life.Journal
	// ExtraEnv is added to every process's environment (the stack id).
	ExtraEnv []string
	// HealthInterval is how often a ready process is checked again
	// (0: 10 s; negative: never); HealthFailures failures in a row (0: 3)
	// make it unhealthy.
	HealthInterval time.Duration
	HealthFailures int
	// Control brings requests from the control channel (stop, restart,
	// reload).
	Control <-chan life.ControlRequest
	// Reload resolves the plan again, in the given environment, for a
	// reload request.
	Reload func(env []string) (*procfile.Plan, error)
	// Resolve resolves the named processes (and what they depend on) in
	// the given environment, for a start request that adds processes the
	// stack was not started with (run --with from another terminal).
	Resolve func(names, env []string) (*procfile.Plan, error)
	// LogDir, when set, sends each process's output to LogDir/NAME.N.log
	// (stamped lines, rotated past LogMax bytes) instead of Stdout: a
	// detached stack.
	LogDir string
	LogMax int64
	// Notices are hiverun lines to show before anything starts (what was
	// reclaimed, repaired state files).
	Notices []string
	// Expected is each instance's usual time to ready from earlier boots:
	// checks are relaxed before it and fast near it.
	Expected map[string]time.Duration
}

// ExitError is a stack that did not end well; Code is hiverun's exit code.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

// run is one supervision of a plan.
type run struct {
	opts    Options
	plan    *procfile.Plan
	out     *output
	self    *prefix
	insts   []*inst // appended to only by the loop (a start request), under imu
	imu     sync.Mutex
	added   map[*inst]bool // added by a start request; owned by the loop
	leases  map[*inst]int  // run --with's holds on what start requests started
	boot    time.Time
	reaper  *proc.Reaper
	stopped chan struct{} // closed when the stack begins to stop
	killNow chan struct{} // closed on a second interrupt
	once    sync.Once
	killed  sync.Once
	paths   proc.PathCache
	devNull *os.File
	selfLog *logFile // hiverun's own lines in a detached stack

	// What the instances tell the supervisor: a queue that never blocks
	// them, and a wake-up for the loop.
	cmu     sync.Mutex
	changes []change
	wake    chan struct{}

	// Owned by the supervisor loop.
	exitCode   int
	stopReason string
	summarised bool
	failed     string // the required instance whose failure stops the stack
	signalAt   time.Time
	waiters    []*waiter
}

// Run supervises plan until the stack ends or is stopped. It returns nil
// when hiverun should exit 0, and an *ExitError otherwise.
func Run(ctx context.Context, plan *procfile.Plan, opts Options) error {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TailLines == 0 {
		opts.TailLines = 10
	}
	if opts.LiveWidth == 0 {
		opts.LiveWidth = 120
	}
	if opts.Journal == nil {
		opts.Journal = life.NopJournal{}
	}
	if opts.HealthInterval == 0 {
		opts.HealthInterval = 10 * time.Second
	}
	if opts.HealthFailures <= 0 {
		opts.HealthFailures = 3
	}
	width := 0
	for _, in := range plan.Instances {
		width = max(width, len(in.Display))
	}
	r := &run{
		opts: opts, plan: plan, reaper: opts.Reaper,
		out:     newOutput(opts.Stdout, opts.Color, opts.Timestamps, opts.Now, width),
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		killNow: make(chan struct{}),
	}
	r.self = r.out.prefixFor("hiverun", -1)
	if f, err := os.Open(os.DevNull); err == nil {
		r.devNull = f
		defer f.Close()
	}
	r.build()
	if opts.LogDir != "" {
		if opts.LogMax == 0 {
			opts.LogMax = 10 << 20
		}
		for _, in := range r.insts {
			l, err := openLogFile(opts.LogDir, in.spec.Name, opts.LogMax)
			if err != nil {
				return err
			}
			in.log = l
		}
		defer r.closeLogs()
		// hiverun's own lines, stamped as the processes' are, so that
		// `hiverun logs` shows them merged in time order under "hiverun".
		l, err := openLogFile(opts.LogDir, SelfLogName, opts.LogMax)
		if err != nil {
			return err
		}
		r.selfLog = l
		defer l.close()
	}
	for _, n := range opts.Notices {
		r.event(n)
	}
	if len(r.insts) == 0 {
		r.info("nothing to run: the formation leaves every selected process out")
		return nil
	}
	r.boot = opts.Now()
	for _, in := range r.insts {
		go r.live(in)
	}
	return r.loop(ctx)
}

// build links instances to the instances of the processes they depend on.
func (r *run) build() {
	byProc := map[string][]*inst{}
	for i, spec := range r.plan.Instances {
		idx := spec.Proc.Index
		in := &inst{
			spec: spec, cur: spec, idx: i,
			prefix: r.out.prefixFor(spec.Display, idx),
			tail:   &tail{max: max(r.opts.TailLines, 10)},
			ev:     make(chan input, 16),
			done:   make(chan struct{}),
			state:  life.Waiting,
			sv:     svView{state: life.Waiting},
		}
		r.insts = append(r.insts, in)
		byProc[spec.Proc.Name] = append(byProc[spec.Proc.Name], in)
	}
	for _, in := range r.insts {
		for _, d := range in.spec.Proc.Depends {
			for _, dep := range byProc[d] {
				in.deps = append(in.deps, dep)
				dep.dependents = append(dep.dependents, in)
			}
		}
	}
}

// info writes one of hiverun's lines; any goroutine may call it.
func (r *run) info(format string, args ...any) {
	r.infoAt("INFO", format, args...)
}

func (r *run) infoAt(level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.log(level, msg)
	r.event(msg)
}

// event shows one of hiverun's lines, and keeps it with the process logs
// of a detached stack.
func (r *run) event(msg string) {
	if r.selfLog != nil {
		parts := strings.Split(strings.TrimRight(msg, "\n"), "\n")
		ls := make([][]byte, len(parts))
		for i, s := range parts {
			ls[i] = []byte(s)
		}
		r.selfLog.lines(r.opts.Now(), ls)
	}
	r.out.event(r.self, msg)
}

// say is info for the supervisor loop.
func (r *run) say(format string, args ...any) { r.infoAt("INFO", format, args...) }

func (r *run) sayAt(level, format string, args ...any) { r.infoAt(level, format, args...) }

// log sends the first line of a message to the journal: the log keeps one
// line per event, the screen shows the details.
func (r *run) log(level, msg string) {
	first, _, _ := strings.Cut(msg, "\n")
	r.opts.Journal.Record(life.Record{Kind: life.RecLog, At: r.opts.Now(), Level: level, Msg: first})
}

func (r *run) record(rec life.Record) {
	if rec.At.IsZero() {
		rec.At = r.opts.Now()
	}
	r.opts.Journal.Record(rec)
}

// publish queues an instance's change for the supervisor; it never
// blocks the instance.
func (r *run) publish(c change) {
	r.cmu.Lock()
	r.changes = append(r.changes, c)
	r.cmu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *run) takeChanges() []change {
	r.cmu.Lock()
	defer r.cmu.Unlock()
	cs := r.changes
	r.changes = nil
	return cs
}

// loop is the one place where the stack's decisions are made: the
// instances' changes, control requests, the user's signals and the
// live-line ticker meet here.
func (r *run) loop(ctx context.Context) error {
	allDone := make(chan struct{})
	go func() {
		// Instances are added only while the stack runs, and the
		// instances already here end only once it stops: when the last
		// is done, no more can come.
		for i := 0; ; i++ {
			in := r.instAt(i)
			if in == nil {
				close(allDone)
				return
			}
			<-in.done
		}
	}()
	var tick <-chan time.Time
	if r.opts.Live {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		tick = t.C
	}
	ctxDone := ctx.Done()
	r.decide()
	for {
		select {
		case <-r.wake:
			for _, c := range r.takeChanges() {
				r.handle(c)
			}
		case req := <-r.opts.Control:
			r.control(req)
		case sig := <-r.opts.Signals:
			r.signalled(sig)
		case <-ctxDone:
			ctxDone = nil
			why := "cancelled"
			if c := context.Cause(ctx); c != nil && c != context.Canceled {
				why = c.Error()
			}
			r.interrupt(why)
		case <-tick:
			if !r.settled() && !r.isStopping() {
				r.out.setLive(r.liveLine())
			} else {
				r.out.setLive("")
			}
			continue
		case <-allDone:
			for _, c := range r.takeChanges() {
				r.handle(c)
			}
			r.answerWaiters()
			r.out.setLive("")
			r.stopAdopted()
			if r.exitCode != 0 {
				r.say("stopped: %s", r.stopReason)
				return &ExitError{Code: r.exitCode, Msg: r.stopReason}
			}
			r.say("stopped")
			return nil
		}
		r.decide()
	}
}

func (r *run) isStopping() bool {
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}

func (r *run) interrupt(why string) {
	if r.isStopping() {
		r.killed.Do(func() {
			r.say("%s again: killing everything now", why)
			close(r.killNow)
		})
		return
	}
	r.stop(why, 0)
}

// stop begins stopping the stack; the first reason decides the exit code.
func (r *run) stop(reason string, code int) {
	r.once.Do(func() {
		r.out.setLive("")
		r.stopReason, r.exitCode = reason, code
		if !r.summarised {
			// The boot did not finish: remember how it ended.
			r.summarised = true
			result := life.Result{Outcome: life.BootInterrupted}
			if code != 0 {
				result = life.Result{Outcome: life.BootFailed, Process: r.failed, Reason: reason}
			}
			r.recordBoot(result)
		}
		r.say("stopping: %s", reason)
		close(r.stopped)
	})
}

// stopAdopted stops descendants that left their process group and were
// orphaned to hiverun (double-forked daemons): TERM, then KILL.
func (r *run) stopAdopted() {
	pids := r.reaper.Adopted()
	if len(pids) == 0 {
		return
	}
	r.say("stopping %s that left their process group", life.Count(len(pids), "process"))
	for _, pid := range pids {
		proc.SignalPid(pid, "TERM")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		alive := 0
		for _, pid := range pids {
			if proc.PidAlive(pid) {
				alive++
			}
		}
		if alive == 0 {
			return
		}
		select {
		case <-r.killNow:
			deadline = time.Now()
		case <-time.After(5 * time.Millisecond):
		}
	}
	for _, pid := range pids {
		if proc.PidAlive(pid) {
			proc.SignalPid(pid, "KILL")
		}
	}
}

func fmtSecs(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}
