package runner

import (
	"errors"
	"fmt"
	"sort"

	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// control resolves a request and carries it out without holding up the
// supervisor loop: the instances do the work and answer.
func (r *run) control(req life.ControlRequest) {
	fail := func(format string, a ...any) {
		req.Reply <- life.ControlReply{Error: fmt.Sprintf(format, a...)}
	}
	if r.isStopping() {
		fail("the stack is stopping")
		return
	}
	var op ctlOp
	switch req.Op {
	case "stop":
		op = opStop
	case "restart":
		op = opRestart
	case "reload":
		r.reload(req)
		return
	default:
		fail("unknown request %q (expected stop, restart or reload)", req.Op)
		return
	}
	if len(req.Names) == 0 {
		fail("%s needs process names", req.Op)
		return
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
			fail("unknown process %q", name)
			return
		}
	}
	if op == opRestart && req.Deps {
		// Dependents follow, in start order, after what they depend on.
		order := map[string]int{}
		for i, n := range r.plan.StartOrder() {
			order[n] = i
		}
		var extra []*inst
		for changed := true; changed; {
			changed = false
			for _, in := range r.insts {
				if !seen[in] && dependsOnAny(in, seen) {
					seen[in], changed = true, true
					extra = append(extra, in)
				}
			}
		}
		sort.SliceStable(extra, func(i, j int) bool {
			return order[extra[i].spec.Proc.Name] < order[extra[j].spec.Proc.Name]
		})
		targets = append(targets, extra...)
	}
	for _, in := range targets {
		if in.spec.Proc.Oneshot {
			fail("%s is a oneshot task: it is not %s", in.spec.Display, past[op])
			return
		}
		switch in.getState() {
		case StateReady, StateUnhealthy, StateExited, StateStopped:
		default:
			fail("%s is %s: it can be %s once it has been ready", in.spec.Display, in.getState(), past[op])
			return
		}
	}
	r.say("%s requested for %s", req.Op, names(targets))
	go func() {
		var done []string
		for _, in := range targets {
			if err := r.askInstance(in, ctlReq{op: op}); err != nil {
				req.Reply <- life.ControlReply{Error: fmt.Sprintf("%s: %v", in.spec.Display, err)}
				return
			}
			done = append(done, in.spec.Display)
		}
		req.Reply <- life.ControlReply{OK: true, Message: fmt.Sprintf("%s %s", past[op], strings.Join(done, ", "))}
	}()
}

// reload reads the Procfile and environment again and restarts the
// instances whose command or environment changed, and those not running;
// the others keep running untouched.
func (r *run) reload(req life.ControlRequest) {
	if r.opts.Reload == nil {
		req.Reply <- life.ControlReply{Error: "this supervisor cannot reload"}
		return
	}
	plan, err := r.opts.Reload(req.Env)
	if err != nil {
		req.Reply <- life.ControlReply{Error: err.Error()}
		return
	}
	if len(plan.Instances) != len(r.insts) {
		req.Reply <- life.ControlReply{Error: "the set of processes changed: the stack must start anew"}
		return
	}
	type change struct {
		in   *inst
		spec *procfile.Instance
	}
	var changes []change
	for i, spec := range plan.Instances {
		in := r.insts[i]
		if spec.Name != in.spec.Name {
			req.Reply <- life.ControlReply{Error: "the set of processes changed: the stack must start anew"}
			return
		}
		st := in.getState()
		if in.spec.Proc.Oneshot {
			continue
		}
		if procfile.Fingerprint(spec) != in.fingerprint() || st == StateExited || st == StateStopped {
			switch st {
			case StateReady, StateUnhealthy, StateExited, StateStopped:
				changes = append(changes, change{in, spec})
			default:
				req.Reply <- life.ControlReply{Error: fmt.Sprintf("%s is %s: try again once it is ready", in.spec.Display, st)}
				return
			}
		}
	}
	if req.Deps {
		// What depends on a changed instance restarts after it, as it is.
		set := map[*inst]bool{}
		for _, c := range changes {
			set[c.in] = true
		}
		for grew := true; grew; {
			grew = false
			for _, in := range r.insts {
				if !set[in] && !in.spec.Proc.Oneshot && dependsOnAny(in, set) {
					set[in], grew = true, true
					changes = append(changes, change{in, nil})
				}
			}
		}
	}
	if len(changes) == 0 {
		req.Reply <- life.ControlReply{OK: true, Message: "nothing changed"}
		return
	}
	var list []*inst
	for _, c := range changes {
		list = append(list, c.in)
	}
	r.say("reload: restarting %s", names(list))
	go func() {
		var done []string
		for _, c := range changes {
			if err := r.askInstance(c.in, ctlReq{op: opRestart, spec: c.spec}); err != nil {
				req.Reply <- life.ControlReply{Error: fmt.Sprintf("%s: %v", c.in.spec.Display, err)}
				return
			}
			done = append(done, c.in.spec.Display)
		}
		req.Reply <- life.ControlReply{OK: true, Message: "restarted " + strings.Join(done, ", ")}
	}()
}

// askInstance hands a request to an instance and waits for its answer.
func (r *run) askInstance(in *inst, req ctlReq) error {
	req.reply = make(chan error, 1)
	select {
	case in.ctl <- req:
	case <-r.stopped:
		return errors.New("the stack is stopping")
	}
	select {
	case err := <-req.reply:
		return err
	case <-r.stopped:
		return errors.New("the stack is stopping")
	case <-time.After(10 * time.Minute):
		return errors.New("no answer within 10 minutes")
	}
}

var past = map[ctlOp]string{opStop: "stopped", opRestart: "restarted"}

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
