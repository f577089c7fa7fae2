package runner

import (
	"context"
	"sync"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// inst is one instance. Its goroutine (live) owns its machine and its
// process; the fields under mu are what others may read of it; sv is the
// supervisor loop's own view.
type inst struct {
	spec       *procfile.Instance // as first planned: names, deps, flags
	idx        int
	deps       []*inst
	dependents []*inst
	prefix     *prefix
	tail       *tail
	log        *logFile // its output file in a detached stack, else nil

	ev   chan input    // everything that happens to it
	done chan struct{} // closed when its goroutine has ended, nothing of it running

	// Owned by its goroutine.
	gen     int // bumped at each start and backoff: older events are stale
	child   *child
	unwatch context.CancelFunc
	timer   *time.Timer
	reaping sync.WaitGroup
	// checks are its readiness and health checks in flight: a check's
	// own process must be gone before the instance counts as ended.
	checks sync.WaitGroup
	why    string // the next start is a restart for this reason
	launch launch

	mu          sync.Mutex
	cur         *procfile.Instance // how it runs now (a reload may change it)
	state       life.State
	reason      string
	restarts    int
	tries       int
	lastErr     string
	waitFrom    time.Time
	startAt     time.Time
	readyAt     time.Time
	endAt       time.Time
	tryAt       []time.Duration // the first boot's check attempts, since its start
	pid         int
	exitCode    int
	everReady   bool
	delay       time.Duration // of the backoff now pending
	everStarted bool

	sv svView
}

// svView is what the supervisor loop knows of an instance.
type svView struct {
	state    life.State
	code     int
	reason   string
	expect   bool // sent an event it has not answered yet
	settled  bool // the first boot is decided for it
	stopSent bool // told that the stack stops
	started  bool // has been started once
	onReq    bool // stopped on request
	why      string
	remind   time.Time
}

// change is an instance telling the supervisor where it is now.
type change struct {
	in       *inst
	from, to life.State
	code     int
	reason   string
	pid      int
	ack      bool // the answer to an event from the supervisor
	remind   bool // still unhealthy
	started  bool // a process was started (pid)
	restarts int
}

func (in *inst) getState() life.State {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.state
}

func (in *inst) getPid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.pid
}

func (in *inst) readyDuration() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.readyAt.Sub(in.startAt)
}

func (in *inst) restartCount() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.restarts
}

func (in *inst) current() *procfile.Instance {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cur
}

// fingerprint is how the instance runs now.
func (in *inst) fingerprint() string { return procfile.Fingerprint(in.current()) }

// post hands an event to the instance unless its life is over.
func (in *inst) post(ev input) {
	select {
	case in.ev <- ev:
	case <-in.done:
	}
}

// end waits for the instance's checks to end (what they still post is
// dropped), then says that nothing of it runs any more.
func (in *inst) end() {
	ended := make(chan struct{})
	go func() {
		in.checks.Wait()
		close(ended)
	}()
	for {
		select {
		case <-in.ev:
		case <-ended:
			close(in.done)
			return
		}
	}
}

func final(s life.State) bool {
	switch s {
	case life.Stopped, life.Exited, life.Failed, life.Skipped:
		return true
	}
	return false
}

// live is the life of one instance: it waits in one place for whatever
// happens to it, lets step decide, and does what step says.
func (r *run) live(in *inst) {
	defer in.end()
	m := newMachine(in.spec.Proc, r.opts.HealthFailures)
	in.mu.Lock()
	in.waitFrom = r.opts.Now()
	in.mu.Unlock()
	for {
		ev := <-in.ev
		if ev.gen != 0 && ev.gen != in.gen {
			continue // from a process or timer of before
		}
		if ev.at.IsZero() {
			ev.at = r.opts.Now()
		}
		from, fromSup := m.State, ev.gen == 0
		if ev.kind == evApply {
			in.mu.Lock()
			in.cur = ev.spec
			in.mu.Unlock()
			// memory.json keeps what it runs with now.
			r.record(life.Record{Kind: life.RecApplied, Instance: ev.spec})
		}
		if ev.kind == evRestartReq {
			in.why = ev.reason
			if ev.spec != nil {
				in.mu.Lock()
				in.cur = ev.spec
				in.mu.Unlock()
			}
		}
		c := change{in: in, from: from, ack: fromSup}
		queue := []input{ev}
		for len(queue) > 0 {
			e := queue[0]
			queue = queue[1:]
			next, acts := step(m, e)
			if e.kind == evHealthFail && m.State != life.Stopping && next.State == life.Stopping {
				in.why = unhealthyWord
			}
			prev := m.State
			m = next
			for _, a := range acts {
				if more := r.act(in, &m, a, &c); more != nil {
					queue = append(queue, *more)
				}
			}
			// Each step is settled on its own: one event can go through
			// starting to ready (ready at spawn), and both are recorded.
			r.settleState(in, m, prev, &c)
		}
		if m.State != from || fromSup || c.remind || c.started {
			r.publish(c)
		}
		if m.Ending && final(m.State) {
			in.reaping.Wait()
			return
		}
	}
}

// settleState makes the new state visible to readers and the journal.
func (r *run) settleState(in *inst, m machine, from life.State, c *change) {
	now := r.opts.Now()
	in.mu.Lock()
	in.state, in.reason = m.State, m.Reason
	if m.State == life.Exited {
		in.exitCode = m.Code
	}
	switch {
	case m.State == life.Ready && from == life.Starting, m.State == life.Exited && from == life.Starting:
		in.readyAt, in.everReady = now, true
	case m.State == life.Waiting && from != life.Waiting:
		in.waitFrom = now
	case final(m.State) && in.endAt.IsZero():
		in.endAt = now
	}
	c.to, c.code, c.reason, c.pid, c.restarts = m.State, m.Code, m.Reason, in.pid, in.restarts
	took := in.readyAt.Sub(in.startAt)
	cur := in.cur
	in.mu.Unlock()
	if m.State == from {
		return
	}
	if m.State == life.Ready && cur.Check.Kind != procfile.CheckNone {
		// The check that passed is the last check: recorded before the
		// state, which is written at once, so a restarted process shows
		// its new result, not none.
		r.record(life.Record{Kind: life.RecHealth, Instance: cur, OK: true, Msg: cur.Check.String()})
	}
	r.record(life.Record{Kind: life.RecState, Instance: cur, State: m.State, Msg: m.Reason, Code: m.Code})
	switch m.State {
	case life.Ready:
		if from == life.Starting {
			r.record(life.Record{Kind: life.RecReady, Instance: cur, Took: took})
		}
	case life.Exited:
		if from == life.Starting {
			r.record(life.Record{Kind: life.RecReady, Instance: cur, Took: took})
		}
		r.record(life.Record{Kind: life.RecExited, Instance: cur, Code: m.Code, Msg: m.Reason})
	case life.Failed:
		r.record(life.Record{Kind: life.RecFailed, Instance: cur, Msg: m.Reason, Code: -1})
	case life.Skipped:
		r.record(life.Record{Kind: life.RecSkipped, Instance: cur, Msg: m.Reason})
	case life.Unhealthy:
		r.record(life.Record{Kind: life.RecHealth, Instance: cur, OK: false, Msg: m.Reason})
	}
}

// act carries out one action; a start that fails comes back as an event.
func (r *run) act(in *inst, m *machine, a action, c *change) *input {
	switch a {
	case aStart:
		return r.begin(in, c)
	case aWatch:
		r.watch(in)
	case aUnwatch:
		if in.unwatch != nil {
			in.unwatch()
			in.unwatch = nil
		}
	case aSignal:
		p, gen := in.child, in.gen
		if p == nil {
			return &input{kind: evGone, gen: gen}
		}
		p.cancel()
		go func() {
			r.stopProc(in, p)
			r.finish(in, p)
			in.post(input{kind: evGone, gen: gen})
		}()
	case aReap:
		if p := in.child; p != nil {
			p.cancel()
			in.reaping.Add(1)
			go func() {
				defer in.reaping.Done()
				r.stopProc(in, p)
				r.finish(in, p)
			}()
		}
	case aBackoff:
		in.gen++
		gen, d := in.gen, m.Delay
		in.mu.Lock()
		in.delay = d
		in.mu.Unlock()
		in.timer = time.AfterFunc(d, func() { in.post(input{kind: evBackoffDone, gen: gen}) })
	case aCancelBackoff:
		if in.timer != nil {
			in.timer.Stop()
		}
		in.gen++
	case aRemind:
		c.remind = true
	}
	return nil
}

// begin starts the instance: clean= first, then its command, then the
// watchers of its exit and readiness.
func (r *run) begin(in *inst, c *change) *input {
	// What the last run left behind (a reaped group) is gone first, so it
	// cannot hold the port.
	in.reaping.Wait()
	in.gen++
	if err := r.clean(in); err != nil {
		return &input{kind: evSpawnFailed, reason: err.Error()}
	}
	gen := in.gen
	p, err := r.start(in, func(p *child) {
		// Its last lines come before the line that reports its end. The
		// pipe stays open: a child it left running may still write.
		p.drainedWithin(150 * time.Millisecond)
		in.post(input{kind: evExit, gen: gen, code: p.code, reason: p.desc})
	})
	if err != nil {
		return &input{kind: evSpawnFailed, reason: err.Error()}
	}
	in.child = p
	c.started = true
	why := in.why
	in.why = ""
	in.mu.Lock()
	first := !in.everStarted
	in.everStarted = true
	if !first {
		in.restarts++
	}
	cur := in.cur
	in.mu.Unlock()
	r.record(life.Record{Kind: life.RecStarted, Instance: cur, PID: p.pid, PGID: p.pid, CreateTime: p.created})
	// Said before its output is read: its first line comes after this one.
	switch {
	case first:
		r.info("%s started (pid %d)", in.spec.Display, p.pid)
	case why != "":
		r.info("%s restarted (pid %d): %s", in.spec.Display, p.pid, why)
	default:
		r.info("%s restarted (pid %d)", in.spec.Display, p.pid)
	}
	r.pumpOutput(in, p)
	if readyAtSpawn(cur) {
		// Decided here, not by a goroutine that could lose the race with
		// a quick exit: such a process ran, it did not fail to start.
		return &input{kind: evReady, gen: gen, at: r.opts.Now()}
	}
	in.checks.Add(1)
	go func() {
		defer in.checks.Done()
		r.becomeReady(in, p, cur, gen, first)
	}()
	return nil
}

// readyAtSpawn: a process without a readiness check or delay is ready once
// it is spawned.
func readyAtSpawn(spec *procfile.Instance) bool {
	return !spec.Proc.Oneshot && spec.Proc.Delay == 0 && spec.Check.Kind == procfile.CheckNone
}

// backoffDelay is the pause before the restart now pending.
func (in *inst) backoffDelay() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.delay
}
