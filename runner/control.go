package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// ControlRequest is a request from another terminal to the running
// supervisor.
type ControlRequest struct {
	Op    string   // "stop" or "restart"
	Names []string // process (web) or instance (web.2) names
	Deps  bool     // restart: also what depends on them
	Reply chan<- ControlReply
}

// ControlReply answers a ControlRequest.
type ControlReply struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

// control resolves a request and carries it out without holding up the
// supervisor loop: the instances do the work and answer.
func (r *run) control(req ControlRequest) {
	fail := func(format string, a ...any) {
		req.Reply <- ControlReply{Error: fmt.Sprintf(format, a...)}
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
	default:
		fail("unknown request %q (expected stop or restart)", req.Op)
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
			reply := make(chan error, 1)
			select {
			case in.ctl <- ctlReq{op: op, reply: reply}:
			case <-r.stopped:
				req.Reply <- ControlReply{Error: "the stack is stopping"}
				return
			}
			select {
			case err := <-reply:
				if err != nil {
					req.Reply <- ControlReply{Error: fmt.Sprintf("%s: %v", in.spec.Display, err)}
					return
				}
			case <-r.stopped:
				req.Reply <- ControlReply{Error: "the stack is stopping"}
				return
			case <-time.After(10 * time.Minute):
				req.Reply <- ControlReply{Error: in.spec.Display + " did not answer"}
				return
			}
			done = append(done, in.spec.Display)
		}
		req.Reply <- ControlReply{OK: true, Message: fmt.Sprintf("%s %s", past[op], strings.Join(done, ", "))}
	}()
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
