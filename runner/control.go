package runner

import (
	"fmt"
	"os"
	"sort"

	"strings"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// waiter is a control request waiting for its instances to get where it
// asked them to be.
type waiter struct {
	op      string // stopped, restarted, started
	ins     []*inst
	started []string // a start request's: the instances leased to its asker
	applied []*inst  // a reload's live changes: done once each has taken it
	msg     string   // the reply on success, when not op and names
	reply   chan<- life.ControlReply
	// lenient: an optional process that fails is said, not a failure, as
	// at boot (a reload restarts what is not running, an optional
	// process that failed included).
	lenient bool
}

// control resolves a request and hands it to the instances; answerWaiters
// replies once their states say it is done. Every state takes a stop and a
// restart.
func (r *run) control(req life.ControlRequest) {
	fail := func(format string, a ...any) {
		req.Reply <- life.ControlReply{Error: fmt.Sprintf(format, a...)}
	}
	if r.isStopping() {
		fail("the stack is stopping")
		return
	}
	switch req.Op {
	case "stop", "restart", "start", "release":
	case "reload":
		r.reload(req)
		return
	default:
		fail("unknown request %q (expected stop, restart, start, release or reload)", req.Op)
		return
	}
	if len(req.Names) == 0 {
		fail("%s needs process names", req.Op)
		return
	}
	var added []*inst
	if req.Op == "start" {
		var err error
		if added, err = r.addMissing(req.Names, req.Env); err != nil && len(added) == 0 {
			fail("%v", err)
			return
		} else if err != nil {
			// Those added are part of the stack now: they start, and the
			// asker is told to stop them.
			r.sayAt("WARN", "start requested: %v", err)
		}
	}
	var targets []*inst
	seen := map[*inst]bool{}
	for _, name := range req.Names {
		found := false
		for _, in := range r.insts {
			if in.spec.Proc.Name == name || in.spec.Name == name {
				found = true
				if !seen[in] {
					seen[in] = true
					targets = append(targets, in)
				}
			}
		}
		if !found {
			if req.Op == "start" || req.Op == "release" {
				fail("%s is not part of the running stack", name)
				return
			}
			fail("unknown process %q", name)
			return
		}
	}
	switch req.Op {
	case "start":
		r.startOnRequest(targets, added, req.Reply)
		return
	case "release":
		r.release(targets, req.Reply)
		return
	}
	if req.Op == "restart" && req.Deps {
		// Dependents, oneshots included, follow what they depend on: each
		// waits, as at boot, for its dependencies to be ready again.
		targets = append(targets, r.dependentsOf(seen)...)
	}
	if req.Op == "stop" {
		r.say("stop requested for %s", names(targets))
		for _, in := range targets {
			in.sv.expect, in.sv.onReq = true, true
			in.post(input{kind: evStopReq})
		}
		r.waiters = append(r.waiters, &waiter{op: "stopped", ins: targets, reply: req.Reply})
		return
	}
	r.say("restart requested for %s", names(targets))
	r.restart(targets, nil, "restart requested", req.Reply)
}

// restart sends a restart to each instance (with its new settings when
// specs has them) and a waiter that answers once they are all back.
func (r *run) restart(targets []*inst, specs map[*inst]*procfile.Instance, why string, reply chan<- life.ControlReply) *waiter {
	for _, in := range targets {
		in.sv.expect = true
		in.post(input{kind: evRestartReq, reason: why, spec: specs[in]})
	}
	w := &waiter{op: "restarted", ins: targets, reply: reply}
	r.waiters = append(r.waiters, w)
	return w
}

// dependentsOf is every instance that depends, directly or not, on one of
// set, in start order; set grows to hold them.
func (r *run) dependentsOf(set map[*inst]bool) []*inst {
	var extra []*inst
	for changed := true; changed; {
		changed = false
		for _, in := range r.insts {
			if !set[in] && dependsOnAny(in, set) {
				set[in], changed = true, true
				extra = append(extra, in)
			}
		}
	}
	order := map[string]int{}
	for i, n := range r.plan.StartOrder() {
		order[n] = i
	}
	sort.SliceStable(extra, func(i, j int) bool {
		return order[extra[i].spec.Proc.Name] < order[extra[j].spec.Proc.Name]
	})
	return extra
}

// answerWaiters replies to each request whose instances have all got
// where it asked, or failed on the way.
func (r *run) answerWaiters() {
	stopping := r.isStopping()
	kept := r.waiters[:0]
	for _, w := range r.waiters {
		done, failed := true, ""
		var notes []string
		for _, in := range w.applied {
			if in.sv.expect {
				done = false
			}
		}
		for _, in := range w.ins {
			sv := in.sv
			if sv.expect {
				done = false
				continue
			}
			switch w.op {
			case "stopped":
				if sv.state.Running() {
					done = false
				}
			case "started":
				// Waiting, starting and backoff are on their way up.
				switch st := sv.state; {
				case st == life.Ready || st == life.Unhealthy || st == life.Exited && in.spec.Proc.Oneshot && sv.code == 0:
				case st == life.Failed || st == life.Skipped || st == life.Exited || st == life.Stopped:
					if failed == "" {
						failed = fmt.Sprintf("%s: %s", in.spec.Display, orWord(sv.reason, string(st)))
					}
				default:
					done = false
				}
			case "restarted":
				switch {
				case sv.state == life.Ready || sv.state == life.Unhealthy || sv.state == life.Exited && in.spec.Proc.Oneshot && sv.code == 0:
				case w.lenient && in.spec.Proc.Optional && (sv.state == life.Failed || sv.state == life.Skipped || sv.state == life.Exited):
					notes = append(notes, fmt.Sprintf("%s (optional) not running: %s", in.spec.Display, orWord(sv.reason, string(sv.state))))
				case sv.state == life.Failed || sv.state == life.Skipped || sv.state == life.Backoff || sv.state == life.Exited || sv.state == life.Stopped:
					if failed == "" {
						failed = fmt.Sprintf("%s: %s", in.spec.Display, orWord(sv.reason, string(sv.state)))
					}
				default:
					done = false
				}
			}
		}
		if done || stopping {
			// Whoever reads the answer and asks `status` must find
			// memory.json saying so.
			r.syncJournal()
		}
		// A reload's answer names what it changed, whatever came of it.
		said := clauses(w.msg, strings.Join(notes, "; "))
		switch {
		case failed != "" && (done || stopping):
			w.reply <- life.ControlReply{Error: clauses(said, failed), Started: w.started, Stopping: stopping}
		case done && said != "":
			w.reply <- life.ControlReply{OK: true, Message: said, Started: w.started}
		case done:
			w.reply <- life.ControlReply{OK: true, Message: w.op + " " + names(w.ins)}
		case stopping:
			why := "the stack is stopping"
			if r.stopReason != "" {
				why += ": " + r.stopReason
			}
			w.reply <- life.ControlReply{Error: clauses(said, why), Started: w.started, Stopping: true}
		default:
			kept = append(kept, w)
		}
	}
	r.waiters = kept
}

// syncJournal writes what the journal holds, when it can.
func (r *run) syncJournal() {
	if s, ok := r.opts.Journal.(life.Syncer); ok {
		s.Sync()
	}
}

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// reload reads the Procfile and environment again and, per instance, as
// procfile.Diff says: restarts what needs it (and what is not running),
// applies live what can be (restart policy, grace, signal), and leaves the
// rest alone. The reply names each change.
func (r *run) reload(req life.ControlRequest) {
	if r.opts.Reload == nil {
		req.Reply <- life.ControlReply{Error: fmt.Sprintf("a foreground hiverun (pid %d) runs this stack and cannot reload it: taking it over", os.Getpid()), Anew: true}
		return
	}
	plan, err := r.opts.Reload(req.Env)
	if err != nil {
		req.Reply <- life.ControlReply{Error: err.Error(), Anew: true}
		return
	}
	// Processes added for a run --with are not the stack's to reload:
	// their run stops them.
	own := r.original()
	if len(plan.Instances) != len(own) {
		req.Reply <- life.ControlReply{Error: "the set of processes changed: the stack must start anew", Anew: true}
		return
	}
	for i, spec := range plan.Instances {
		if spec.Name != own[i].spec.Name {
			req.Reply <- life.ControlReply{Error: "the set of processes changed: the stack must start anew", Anew: true}
			return
		}
	}
	specs := map[*inst]*procfile.Instance{}
	var targets []*inst
	var changes procfile.StackChange
	var applied []*inst
	for i, spec := range plan.Instances {
		in := own[i]
		ch := procfile.Diff(procfile.SettingsOf(in.current()), procfile.SettingsOf(spec))
		if st := in.sv.state; !in.spec.Proc.Oneshot && (st == life.Exited || st == life.Stopped || st == life.Failed) && !ch.Restart {
			ch.Why = "not running"
		}
		if !ch.Changed() {
			continue
		}
		changes = append(changes, procfile.InstanceChange{Name: in.spec.Display, Change: ch})
		if ch.Restart || ch.Why != "" {
			specs[in] = spec
			targets = append(targets, in)
			continue
		}
		in.sv.expect = true
		in.post(input{kind: evApply, policy: spec.Proc.Restart, spec: spec})
		applied = append(applied, in)
	}
	r.rewire(plan)
	if req.Deps {
		set := map[*inst]bool{}
		for _, in := range targets {
			set[in] = true
		}
		for _, in := range r.dependentsOf(set) {
			if !in.spec.Proc.Oneshot {
				targets = append(targets, in)
				changes = append(changes, procfile.InstanceChange{Name: in.spec.Display, Change: procfile.Change{Why: "depends on a restarted process"}})
			}
		}
	}
	msg := changes.String()
	if len(changes) > 0 {
		r.say("reload: %s", msg)
	}
	w := r.restart(targets, specs, "reloaded", req.Reply)
	w.applied, w.msg, w.lenient = applied, msg, true
}

// rewire links instances to their dependencies as plan has them: a
// changed depends= restarts the instance, which then waits for its new
// dependencies.
func (r *run) rewire(plan *procfile.Plan) {
	byProc := map[string][]*inst{}
	for _, in := range r.insts {
		byProc[in.spec.Proc.Name] = append(byProc[in.spec.Proc.Name], in)
		in.deps, in.dependents = nil, nil
	}
	own := r.original()
	for i, spec := range plan.Instances {
		link(own[i], spec.Proc.Depends, byProc)
	}
	for in := range r.added {
		link(in, in.spec.Proc.Depends, byProc)
	}
}

func link(in *inst, depends []string, byProc map[string][]*inst) {
	for _, d := range depends {
		for _, dep := range byProc[d] {
			in.deps = append(in.deps, dep)
			dep.dependents = append(dep.dependents, in)
		}
	}
}

func dependsOnAny(in *inst, set map[*inst]bool) bool {
	for _, d := range in.deps {
		if set[d] {
			return true
		}
	}
	return false
}

func names(ins []*inst) string {
	var out []string
	for _, in := range ins {
		out = append(out, in.spec.Display)
	}
	return strings.Join(out, ", ")
}

// clauses joins the non-empty parts of one answer with "; ".
func clauses(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}
