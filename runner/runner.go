// Package runner supervises a resolved plan: it starts each instance as
// soon as what it depends on is ready, checks readiness, multiplexes output,
// and stops everything it started, in reverse dependency order.
package runner

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
)

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
	opts = opts.withDefaults()
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
	// Lines queued by another goroutine's write are out before Run
	// returns: the process may exit next.
	defer r.out.sync()
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
	outClosed, outGone := r.out.closed, r.opts.OutputGone
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
		case <-outClosed:
			outClosed = nil
			r.outputGone()
		case <-outGone:
			outGone = nil
			r.outputGone()
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

func fmtSecs(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}
