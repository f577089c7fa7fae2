package state

import (
	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
)

// What each record of the runner changes in memory.json: one method per
// kind of record, so the mapping from a lifecycle event to its remembered
// state reads in one place each.

// Record implements life.Journal.
func (s *Store) Record(r life.Record) {
	if r.Kind == life.RecLog {
		s.log.Write(r.At, r.Level, r.Msg)
		return
	}
	if r.Instance != nil {
		s.adopt(r.Instance)
	}
	switch r.Kind {
	case life.RecStarted:
		s.started(r)
	case life.RecBoot:
		s.boot(r)
	case life.RecReady:
		s.ready(r)
	case life.RecHealth:
		s.health(r)
	case life.RecFailed, life.RecSkipped:
		s.failed(r)
	case life.RecExited:
		s.update(r.Instance.Name, func(in *Instance) {
			code := r.Code
			in.State, in.ExitCode = life.Exited, &code
		})
	case life.RecStopped:
		// The runner says each state itself (RecState); this only ends a
		// stop that nothing else will report.
		s.update(r.Instance.Name, func(in *Instance) {
			if in.State == life.Stopping {
				in.State = life.Stopped
			}
		})
	case life.RecState:
		s.state(r.Instance.Name, r)
	case life.RecApplied:
		// A reload applied a change live: a rerun compares with it.
		id := s.identityOf(r.Instance)
		s.updateAt(r.Instance.Name, func(in *Instance) {
			id.set(in)
		}, true)
	}
}

// adopt gives an instance a record if it has none yet: a process added to
// the running stack (run --with from another terminal) is remembered like
// those it started with.
func (s *Store) adopt(inst *procfile.Instance) {
	s.mu.Lock()
	if s.records[inst.Name] == nil {
		s.addRecord(inst)
	}
	s.mu.Unlock()
}

// started records a new process of an instance. The pidfile is written
// with the next flush, off the path of starting: a supervisor killed
// before it still leaves its processes findable by the stack id in their
// environment. The create time is the runner's, else read now: later, the
// pid might already name another process.
func (s *Store) started(r life.Record) {
	ct := r.CreateTime
	if ct == 0 {
		ct, _ = proc.CreateTime(r.PID)
	}
	id := s.identityOf(r.Instance)
	s.updateAt(r.Instance.Name, func(in *Instance) {
		t := r.At
		if in.StartedAt != nil {
			in.Restarts++
		}
		in.PID, in.PGID, in.CreateTime, in.State, in.StartedAt = r.PID, r.PGID, ct, life.Starting, &t
		id.set(in)
		describe(in, r.Instance)
		in.ReadyAt, in.ExitCode, in.Health, in.Reason = nil, nil, nil, ""
	}, true)
}

// ready records an instance becoming ready; a oneshot is ready when it has
// finished well, so it is remembered as exited with code 0.
func (s *Store) ready(r life.Record) {
	s.updateAt(r.Instance.Name, func(in *Instance) {
		t := r.At
		in.ReadyAt = &t
		if in.Oneshot {
			in.State = life.Exited
			code := 0
			in.ExitCode = &code
		} else {
			in.State = life.Ready
		}
	}, true)
}

// health keeps the last check result worth keeping and moves a ready
// instance to unhealthy and back with it.
func (s *Store) health(r life.Record) {
	s.update(r.Instance.Name, func(in *Instance) {
		in.Health = &Health{OK: r.OK, Message: r.Msg, At: r.At}
		switch {
		case !r.OK && in.State == life.Ready:
			in.State = life.Unhealthy
		case r.OK && in.State == life.Unhealthy:
			in.State = life.Ready
		}
	})
}

// failed records an instance that failed or was skipped before it became
// ready; an exit code only when a process of it ran.
func (s *Store) failed(r life.Record) {
	// What it would run with now: a reload that changed a process that
	// is skipped again must not find it changed at every rerun.
	id := s.identityOf(r.Instance)
	s.update(r.Instance.Name, func(in *Instance) {
		id.set(in)
		describe(in, r.Instance)
		if r.Kind == life.RecSkipped {
			in.State = life.Skipped
		} else {
			in.State = life.Failed
		}
		if r.Code >= 0 && r.Kind == life.RecFailed && in.PID > 0 {
			code := r.Code
			in.ExitCode = &code
		}
	})
}

// state records a state the runner reports itself, with its reason.
func (s *Store) state(name string, r life.Record) {
	s.updateAt(name, func(in *Instance) {
		in.State, in.Reason = r.State, r.Msg
		switch r.State {
		case life.Exited, life.Failed, life.Backoff:
			// An exit code only where a process of this start ran and
			// ended; a failed start (command not found) has none.
			if r.Code >= 0 && in.PID > 0 {
				code := r.Code
				in.ExitCode = &code
			}
		}
	}, r.State == life.Ready || r.State == life.Starting)
}

// boot records a finished boot as one more startup (keeping the last
// MaxStartups) and in the totals.
func (s *Store) boot(r life.Record) {
	b := r.Boot
	s.mu.Lock()
	s.booted = true
	st := s.startup
	st.BootMS = b.Boot.Milliseconds()
	st.CriticalPath = b.CriticalPath
	st.Result = BootResult{b.Result}
	st.Spans = b.Spans
	for name, d := range b.Ready {
		st.ReadyMS[name] = d.Milliseconds()
	}
	s.mem.Startups = append(s.mem.Startups, st)
	if len(s.mem.Startups) > MaxStartups {
		s.mem.Startups = s.mem.Startups[len(s.mem.Startups)-MaxStartups:]
	}
	t := &s.mem.Totals
	t.Startups++
	t.Reclaimed += st.Reclaimed
	if b.Result.Outcome == life.BootReady {
		t.Ready++
	} else if b.Result.Outcome != life.BootInterrupted {
		t.Failed++
	}
	// At once, not after the gathering delay: the stack is now ready
	// and memory.json must say so before anyone is told. (Pidfiles follow
	// with the writer: reclaim does not need them to find anything.)
	err := s.saveLocked()
	s.mu.Unlock()
	s.wrote("memory.json", err)
	s.changed()
}

// describe sets what a record says of how its instance runs from spec,
// which a reload may have changed (status showed the old port after one).
func describe(in *Instance, spec *procfile.Instance) {
	in.Command, in.Port, in.PortOwned = spec.Proc.Command, spec.Port, spec.PortOwned
	in.Optional, in.Oneshot = spec.Proc.Optional, spec.Proc.Oneshot
}
