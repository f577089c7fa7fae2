package runner

import (
	"fmt"
	"strings"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// A `run --with` from another terminal uses the running stack: it asks
// the supervisor to start what its command needs (start), and when the
// command is done, to stop what was started for it (release).
//
// A process the stack was not started with is added: the supervisor
// resolves it in the asker's environment and supervises it like the
// others, so that status, logs and stop find it where they find the rest.
//
// What a start request starts is leased to its asker; a second run that
// needs it while it runs takes a lease too, and a release stops it only
// when the last lease is given back: one command finishing never stops
// what another still uses. What runs for the stack itself is never
// leased, and never stopped by a release.

// startOnRequest starts those of targets that have ended (stopped,
// exited, failed, skipped) or were just added, and answers once every
// target is ready. The reply names the instances leased to the asker:
// those it started and those an earlier run's lease keeps running.
func (r *run) startOnRequest(targets, added []*inst, reply chan<- life.ControlReply) {
	isAdded := map[*inst]bool{}
	named := map[*inst]bool{}
	for _, in := range targets {
		named[in] = true
	}
	for _, in := range added {
		isAdded[in] = true
		if !named[in] {
			// A dependency of a named one: leased with it.
			targets = append(targets, in)
		}
	}
	var started, leased []*inst
	for _, in := range targets {
		start := false
		switch st := in.sv.state; {
		case isAdded[in]:
			// New: it waits for its dependencies and starts.
			start = true
		case in.sv.expect:
		case st == life.Exited && in.spec.Proc.Oneshot && in.sv.code == 0:
		case st == life.Stopped || st == life.Exited || st == life.Failed || st == life.Skipped:
			start = true
		}
		if start {
			started = append(started, in)
		}
		if start || r.leases[in] > 0 {
			leased = append(leased, in)
		}
	}
	if r.leases == nil {
		r.leases = map[*inst]int{}
	}
	w := &waiter{op: "started", ins: targets, reply: reply, msg: "nothing to start: all running"}
	for _, in := range leased {
		r.leases[in]++
		w.started = append(w.started, in.spec.Name)
	}
	if len(started) > 0 {
		r.say("start requested for %s", names(started))
		w.msg = "started " + names(started)
		for _, in := range started {
			if !isAdded[in] {
				in.sv.expect = true
				in.post(input{kind: evRestartReq, reason: "start requested"})
			}
		}
	}
	r.waiters = append(r.waiters, w)
}

// release gives back the asker's lease on targets and stops those no
// other run holds; the reply says which it stopped and which it kept.
func (r *run) release(targets []*inst, reply chan<- life.ControlReply) {
	var stop, kept []*inst
	for _, in := range targets {
		switch r.leases[in] {
		case 0:
			// Not started for a run (or given back already): the stack's.
		case 1:
			delete(r.leases, in)
			stop = append(stop, in)
		default:
			r.leases[in]--
			kept = append(kept, in)
		}
	}
	var parts []string
	if len(stop) > 0 {
		parts = append(parts, "stopped "+names(stop)+", started for this command")
	}
	if len(kept) > 0 {
		parts = append(parts, "kept "+names(kept)+", which another command still uses")
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing to stop")
	}
	if len(stop) == 0 {
		reply <- life.ControlReply{OK: true, Message: strings.Join(parts, "; ")}
		return
	}
	r.say("the command they were started for is done: stopping %s", names(stop))
	for _, in := range stop {
		in.sv.expect, in.sv.onReq = true, true
		in.post(input{kind: evStopReq})
	}
	r.waiters = append(r.waiters, &waiter{op: "stopped", ins: stop, reply: reply, msg: strings.Join(parts, "; ")})
}

// instAt is the i-th instance, or nil past the last; for goroutines other
// than the loop, which may be adding one.
func (r *run) instAt(i int) *inst {
	r.imu.Lock()
	defer r.imu.Unlock()
	if i >= len(r.insts) {
		return nil
	}
	return r.insts[i]
}

// closeLogs closes every instance's output file, added ones included.
func (r *run) closeLogs() {
	for _, in := range r.insts {
		if in.log != nil {
			in.log.close()
		}
	}
}

// addMissing adds the processes of names (process or instance names) that
// the stack does not have, resolved in env with what they depend on, and
// returns the instances it added. They wait for their dependencies as at
// boot.
func (r *run) addMissing(names, env []string) ([]*inst, error) {
	var unknown []string
	for _, n := range names {
		base, _, _ := strings.Cut(n, ".")
		if r.hasProcess(base) || contains(unknown, base) {
			continue
		}
		unknown = append(unknown, base)
	}
	if len(unknown) == 0 {
		return nil, nil
	}
	if r.opts.Resolve == nil {
		return nil, fmt.Errorf("%s is not part of the running stack, and its supervisor cannot add processes", strings.Join(unknown, ", "))
	}
	plan, err := r.opts.Resolve(unknown, env)
	if err != nil {
		return nil, err
	}
	var added []*inst
	for _, spec := range plan.Instances {
		if r.hasProcess(spec.Proc.Name) {
			continue
		}
		in, err := r.add(spec)
		if err != nil {
			return added, err
		}
		added = append(added, in)
	}
	// Linked once all are in: an added process may depend on another.
	byProc := map[string][]*inst{}
	for _, in := range r.insts {
		byProc[in.spec.Proc.Name] = append(byProc[in.spec.Proc.Name], in)
	}
	for _, in := range added {
		link(in, in.spec.Proc.Depends, byProc)
	}
	for _, in := range added {
		go r.live(in)
	}
	return added, nil
}

// add makes an instance of spec, part of the stack from now on.
func (r *run) add(spec *procfile.Instance) (*inst, error) {
	in := &inst{
		spec: spec, cur: spec, idx: len(r.insts),
		prefix: r.out.prefixFor(spec.Display, spec.Proc.Index),
		tail:   &tail{max: max(r.opts.TailLines, 10)},
		ev:     make(chan input, 16),
		done:   make(chan struct{}),
		state:  life.Waiting,
		sv:     svView{state: life.Waiting, settled: true},
	}
	if r.opts.LogDir != "" {
		limit := r.opts.LogMax
		if limit == 0 {
			limit = 10 << 20
		}
		l, err := openLogFile(r.opts.LogDir, spec.Name, limit)
		if err != nil {
			return nil, err
		}
		in.log = l
	}
	r.imu.Lock()
	r.insts = append(r.insts, in)
	r.imu.Unlock()
	if r.added == nil {
		r.added = map[*inst]bool{}
	}
	r.added[in] = true
	return in, nil
}

// original is the instances the stack was started with: its boot, its
// summary and its reload are about them, not about what a run --with
// added while it booted.
func (r *run) original() []*inst {
	var out []*inst
	for _, in := range r.insts {
		if !r.added[in] {
			out = append(out, in)
		}
	}
	return out
}

func (r *run) hasProcess(name string) bool {
	for _, in := range r.insts {
		if in.spec.Proc.Name == name {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
