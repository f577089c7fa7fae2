package runner

import (
	"fmt"
	"strings"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// Processes added to a running stack: a `run --with` from another
// terminal needs one the stack was not started with. The supervisor
// resolves it in the asker's environment and supervises it like the
// others, so that status, logs and stop find it where they find the rest.

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

// original is the instances the stack was started with.
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
