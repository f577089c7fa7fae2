package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// handle is the supervisor's side of an instance's change: the line it
// says, and what the stack does about it.
func (r *run) handle(c change) {
	in := c.in
	sv := &in.sv
	if c.ack {
		sv.expect = false
	}
	from := sv.state
	sv.state, sv.code, sv.reason = c.to, c.code, c.reason
	if c.started {
		sv.started = true
	}
	stopping := r.isStopping()
	name := in.spec.Display
	if c.remind {
		r.sayAt("WARN", "%s is still unhealthy (%s)", name, c.reason)
	}
	if from == c.to {
		return
	}
	first := !sv.settled
	switch c.to {
	case life.Ready:
		sv.settled = true
		r.sayReady(in, from, c)
	case life.Unhealthy:
		r.sayAt("WARN", "%s is unhealthy: %d checks failed in a row (%s)", name, r.opts.HealthFailures, c.reason)
	case life.Stopping:
		if strings.HasPrefix(c.reason, unhealthyWord+": ") && !stopping {
			r.sayAt("WARN", "%s is unhealthy: %d checks failed in a row (%s): restarting it", name, r.opts.HealthFailures, strings.TrimPrefix(c.reason, unhealthyWord+": "))
		}
	case life.Backoff:
		if !stopping {
			why := c.reason
			if from == life.Starting || from == life.Stopping {
				why = "failed after restart: " + why
			}
			r.sayAt("WARN", "%s %s: restarting in %s", name, why, in.backoffDelay())
		}
	case life.Exited:
		sv.settled = true
		r.exited(in, c, stopping)
	case life.Failed, life.Skipped:
		sv.settled = true
		if stopping {
			break
		}
		if !first {
			r.sayAt("ERROR", "%s failed after restart: %s", name, c.reason)
			break
		}
		r.reportFailure(in, c)
		if !in.spec.Proc.Optional {
			r.failed = in.spec.Display
			why := "failed"
			if c.to == life.Skipped {
				// Why, too: "it depends on bad, which failed".
				why = "could not start: " + c.reason
			}
			r.stop(fmt.Sprintf("%s %s", name, why), 1)
		}
	case life.Stopped:
		sv.settled = true
		if sv.onReq && !stopping {
			r.say("%s stopped on request", name)
		}
		sv.onReq = false
	}
}

func (r *run) sayReady(in *inst, from life.State, c change) {
	name, took := in.spec.Display, in.readyDuration()
	switch {
	case from == life.Unhealthy:
		r.say("%s is healthy again", name)
	case c.restarts > 0 && (in.spec.Check.Kind != procfile.CheckNone || in.spec.Proc.Delay > 0):
		r.say("%s ready again in %s (restart %d)", name, fmtSecs(took), c.restarts)
	case in.spec.Check.Kind != procfile.CheckNone:
		r.say("%s ready in %s (pid %d, %s)", name, fmtSecs(took), c.pid, in.spec.Check)
	case in.spec.Proc.Delay > 0:
		r.say("%s ready: still running after %s (pid %d)", name, in.spec.Proc.Delay, c.pid)
	}
	// Without a check or a delay, ready is the same as started: one line
	// says both, at boot and at a restart.
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// decide does what follows from the instances' states: start what may
// start, skip what cannot, stop in order, answer requests, say the boot
// line, and end the stack when nothing is left to run.
func (r *run) decide() {
	stopping := r.isStopping()
	for _, in := range r.insts {
		sv := &in.sv
		if sv.expect {
			continue
		}
		if stopping {
			if !sv.stopSent && r.dependentsDown(in) {
				sv.stopSent, sv.expect = true, true
				in.post(input{kind: evStackStop})
			}
			continue
		}
		if sv.state != life.Waiting {
			continue
		}
		ready, failed, what := true, "", "failed"
		for _, d := range in.deps {
			switch {
			case d.sv.expect || !(d.sv.state == life.Ready || d.sv.state == life.Unhealthy || d.sv.state == life.Exited && d.spec.Proc.Oneshot && d.sv.code == 0):
				ready = false
				if !d.sv.expect && (d.sv.state == life.Failed || d.sv.state == life.Skipped) && failed == "" {
					failed = d.spec.Display
					if d.sv.state == life.Skipped {
						what = "was skipped"
					}
				}
			}
		}
		switch {
		case failed != "":
			sv.expect = true
			in.post(input{kind: evDepFailed, reason: fmt.Sprintf("it depends on %s, which %s", failed, what)})
		case ready:
			sv.expect = true
			in.post(input{kind: evDepsReady})
		}
	}
	r.answerWaiters()
	r.maybeSummary()
	if !stopping && !r.anythingPending() {
		r.stop("every process has ended", r.endCode())
		r.decide()
	}
}

// dependentsDown tells whether nothing that depends on in still runs, so
// it may stop (at once after a second interrupt).
func (r *run) dependentsDown(in *inst) bool {
	select {
	case <-r.killNow:
		return true
	default:
	}
	for _, d := range in.dependents {
		if d.sv.expect || d.sv.state.Running() {
			return false
		}
	}
	return true
}

// anythingPending is the stack's liveness, read off the states: something
// runs, is about to start, or will restart.
func (r *run) anythingPending() bool {
	for _, in := range r.insts {
		if in.sv.expect || in.sv.state.Running() || in.sv.state == life.Backoff {
			return true
		}
	}
	return false
}

// settled tells whether the first boot is decided for every instance.
func (r *run) settled() bool {
	for _, in := range r.insts {
		if !in.sv.settled {
			return false
		}
	}
	return true
}

// endCode is the exit code of a stack whose processes all ended by
// themselves: 0 when every required one ended well.
func (r *run) endCode() int {
	for _, in := range r.insts {
		if in.spec.Proc.Optional {
			continue
		}
		switch st := in.sv.state; {
		case st == life.Failed, st == life.Skipped, st == life.Exited && in.sv.code != 0:
			return 1
		}
	}
	return 0
}

func (r *run) reportFailure(in *inst, ev change) {
	what := "required"
	if in.spec.Proc.Optional {
		what = "optional"
	}
	if ev.to == life.Skipped {
		r.sayAt("WARN", "%s (%s) skipped: %s", in.spec.Display, what, ev.reason)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) failed: %s", in.spec.Display, what, ev.reason)
	lines := in.tail.get()
	if n := r.opts.TailLines; len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		b.WriteString("\n  (it printed nothing)")
	} else {
		if len(lines) == 1 {
			fmt.Fprintf(&b, "\nlast line of %s:", in.spec.Display)
		} else {
			fmt.Fprintf(&b, "\nlast %d lines of %s:", len(lines), in.spec.Display)
		}
		for _, l := range lines {
			b.WriteString("\n  " + l)
		}
	}
	if in.spec.Proc.Optional && len(in.dependents) > 0 {
		if req := requiredDependents(in); len(req) > 0 {
			verb := "is"
			if len(req) > 1 {
				verb = "are"
			}
			fmt.Fprintf(&b, "\nits dependents are skipped; %s %s required, so the stack stops", strings.Join(req, ", "), verb)
		} else {
			b.WriteString("\nits dependents are skipped; the rest of the stack goes on")
		}
	}
	level := "ERROR"
	if in.spec.Proc.Optional {
		level = "WARN"
	}
	r.sayAt(level, "%s", b.String())
}

// requiredDependents are the required instances that depend on in, at
// any depth: skipped with it, each of them stops the stack.
func requiredDependents(in *inst) []string {
	seen := map[*inst]bool{}
	var out []string
	var walk func(*inst)
	walk = func(x *inst) {
		for _, d := range x.dependents {
			if seen[d] {
				continue
			}
			seen[d] = true
			if !d.spec.Proc.Optional {
				out = append(out, d.spec.Display)
			}
			walk(d)
		}
	}
	walk(in)
	return out
}

// exited says that an instance's process ended by itself; a required one
// that is not a oneshot stops the stack.
func (r *run) exited(in *inst, c change, stopping bool) {
	name := in.spec.Display
	if in.spec.Proc.Oneshot && c.code == 0 {
		r.say("%s done in %s (exit 0)", name, fmtSecs(in.readyDuration()))
		return
	}
	if stopping {
		return
	}
	r.say("%s %s", name, c.reason)
	if in.spec.Proc.Optional {
		return
	}
	if c.code == 0 && c.restarts == 0 {
		// A setup step written as a process (`migrate: ./migrate`) ends
		// the stack the first time it finishes: say how to keep it up.
		r.info("a process that ends stops the stack; if %s is meant to finish, mark it: # hiverun: oneshot", name)
	}
	r.stop(fmt.Sprintf("%s %s", name, c.reason), boolInt(c.code != 0))
}

// maybeSummary prints the boot line once every instance has settled.
func (r *run) maybeSummary() {
	if r.summarised || r.isStopping() || !r.settled() {
		return
	}
	r.summarised = true
	r.out.setLive("")
	// Recorded first: whoever reads the ready line and asks `status`
	// finds memory.json already saying so.
	r.recordBoot(life.Result{Outcome: life.BootReady})
	r.say("%s", r.summary())
	if r.opts.OnReady != nil {
		r.opts.OnReady(r.opts.Now().Sub(r.boot))
	}
}

// recordBoot tells the journal how the boot went, with each instance's
// part of it.
func (r *run) recordBoot(result life.Result) {
	b := &life.BootRecord{Ready: map[string]time.Duration{}, Result: result}
	var last time.Time
	now := r.opts.Now()
	for _, in := range r.original() {
		in.mu.Lock()
		sp := life.Span{Name: in.spec.Name, Oneshot: in.spec.Proc.Oneshot, Optional: in.spec.Proc.Optional,
			State: in.state, Reason: in.reason, Tries: append([]time.Duration(nil), in.tryAt...)}
		switch {
		case in.everReady:
			b.Ready[in.spec.Name] = in.readyAt.Sub(in.startAt)
			last = maxTime(last, in.readyAt)
			sp.Waited, sp.Took = in.startAt.Sub(r.boot), in.readyAt.Sub(in.startAt)
			if sp.State != life.Exited || !sp.Oneshot {
				sp.State = life.Ready
			}
		case !in.startAt.IsZero():
			sp.Waited, sp.Took = in.startAt.Sub(r.boot), endOr(in.endAt, now).Sub(in.startAt)
		default:
			sp.Waited = endOr(in.endAt, now).Sub(r.boot)
		}
		if sp.State == life.Stopping || sp.State == life.Stopped && !in.everReady {
			sp.State = life.Stopped
		}
		in.mu.Unlock()
		b.Spans = append(b.Spans, sp)
	}
	sort.SliceStable(b.Spans, func(i, j int) bool { return b.Spans[i].Waited < b.Spans[j].Waited })
	if !last.IsZero() {
		b.Boot = last.Sub(r.boot)
	}
	for _, in := range r.criticalPath() {
		b.CriticalPath = append(b.CriticalPath, in.spec.Name)
	}
	r.record(life.Record{Kind: life.RecBoot, Boot: b})
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func endOr(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}
