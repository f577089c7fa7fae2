package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

func (r *run) handle(ev event) {
	in := ev.in
	stopping := r.isStopping()
	switch ev.kind {
	case evStarted:
		r.say("%s started (pid %d)", in.spec.Display, ev.code)
	case evReady:
		r.unsettled--
		took := in.readyDuration()
		if in.spec.Proc.Oneshot {
			r.active--
			r.say("%s done in %s (exit 0)", in.spec.Display, fmtSecs(took))
		} else if in.spec.Check.Kind != procfile.CheckNone {
			r.say("%s ready in %s (pid %d, %s)", in.spec.Display, fmtSecs(took), in.getPid(), in.spec.Check)
		} else if in.spec.Proc.Delay > 0 {
			r.say("%s ready: still running after %s (pid %d)", in.spec.Display, in.spec.Proc.Delay, in.getPid())
		}
		// Without a check or a delay, ready is the same as started: one
		// line says both.
		r.maybeSummary()
	case evFailed, evSkipped:
		r.unsettled--
		r.active--
		if stopping {
			return
		}
		r.reportFailure(in, ev)
		if !in.spec.Proc.Optional {
			r.stop(fmt.Sprintf("%s failed", in.spec.Display), 1)
			return
		}
		r.maybeSummary()
	case evNote:
		level := ev.level
		if level == "" {
			level = "INFO"
		}
		r.sayAt(level, "%s", ev.msg)
	case evRestarted:
		if ev.msg != "" {
			r.say("%s restarted (pid %d): %s", in.spec.Display, ev.code, ev.msg)
		} else {
			r.say("%s restarted (pid %d)", in.spec.Display, ev.code)
		}
	case evResumed:
		r.active++
	case evUserStopped:
		r.active--
		r.say("%s stopped on request", in.spec.Display)
	case evExited:
		r.active--
		if stopping {
			return
		}
		r.say("%s %s", in.spec.Display, ev.msg)
		if !in.spec.Proc.Optional {
			code := 0
			if ev.code != 0 {
				code = 1
			}
			r.stop(fmt.Sprintf("%s %s", in.spec.Display, ev.msg), code)
			return
		}
	}
	if r.active == 0 && !r.isStopping() {
		r.stop("every process has ended", r.endCode())
	}
}

// endCode is the exit code of a stack whose processes all ended by
// themselves: 0 when every required one ended well.
func (r *run) endCode() int {
	for _, in := range r.insts {
		if in.spec.Proc.Optional {
			continue
		}
		if st := in.getState(); st == StateFailed || st == StateSkipped || (st == StateExited && in.exitCode != 0) {
			return 1
		}
	}
	return 0
}

func (r *run) reportFailure(in *inst, ev event) {
	what := "required"
	if in.spec.Proc.Optional {
		what = "optional"
	}
	if ev.kind == evSkipped {
		r.sayAt("WARN", "%s (%s) skipped: %s", in.spec.Display, what, ev.msg)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) failed: %s", in.spec.Display, what, ev.msg)
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
		b.WriteString("\nits dependents are skipped; the rest of the stack goes on")
	}
	level := "ERROR"
	if in.spec.Proc.Optional {
		level = "WARN"
	}
	r.sayAt(level, "%s", b.String())
}

// maybeSummary prints the boot line once every instance has settled.
func (r *run) maybeSummary() {
	if r.unsettled > 0 || r.summarised || r.isStopping() {
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

// recordBoot tells the journal how the boot went.
func (r *run) recordBoot(result life.Result) {
	b := &life.BootRecord{Ready: map[string]time.Duration{}, Result: result}
	var last time.Time
	for _, in := range r.insts {
		in.mu.Lock()
		if in.isOK() && !in.readyAt.IsZero() {
			b.Ready[in.spec.Name] = in.readyAt.Sub(in.startAt)
			if in.readyAt.After(last) {
				last = in.readyAt
			}
		}
		in.mu.Unlock()
	}
	if !last.IsZero() {
		b.Boot = last.Sub(r.boot)
	}
	for _, in := range r.criticalPath() {
		b.CriticalPath = append(b.CriticalPath, in.spec.Name)
	}
	r.record(life.Record{Kind: life.RecBoot, Boot: b})
}
