package state

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/proc"
)

// Store is the runner's journal: it keeps memory.json, the pidfiles and
// hiverun.log up to date while a supervisor runs. Pidfiles are written at
// once (a supervisor killed the next moment must not lose a pid); memory
// updates are coalesced and written by one goroutine.
type Store struct {
	dir *Dir
	log *Log
	now func() time.Time

	mu      sync.Mutex
	mem     *Memory
	startup *Startup
	closed  bool

	kick chan struct{}
	done chan struct{}
}

// NewStore starts recording a supervision of plan. reclaimed is how many
// leftovers this start stopped.
func NewStore(d *Dir, mem *Memory, log *Log, plan *procfile.Plan, selection []string, reclaimed int) (*Store, error) {
	now := time.Now
	self := os.Getpid()
	ct, _ := proc.CreateTime(self)
	mem.Supervisor = &Supervisor{PID: self, CreateTime: ct, StartedAt: now(),
		Procfile: plan.Procfile.File, Root: plan.Root, Selection: selection}
	mem.Instances = nil
	for _, in := range plan.Instances {
		mem.Instances = append(mem.Instances, &Instance{
			Name: in.Name, Process: in.Proc.Name, Command: in.Proc.Command, Port: in.Port,
			PortOwned: in.PortOwned, Optional: in.Proc.Optional, Oneshot: in.Proc.Oneshot, State: "waiting",
		})
	}
	s := &Store{dir: d, log: log, now: now, mem: mem, kick: make(chan struct{}, 1), done: make(chan struct{}),
		startup: &Startup{At: now(), Selection: selection, ReadyMS: map[string]int64{}, Reclaimed: reclaimed}}
	if err := d.SaveMemory(mem); err != nil {
		return nil, err
	}
	go s.writer()
	return s, nil
}

// Expected is each instance's median time to ready over the kept
// startups, for spacing its readiness checks.
func Expected(mem *Memory) map[string]time.Duration {
	samples := map[string][]int64{}
	for _, st := range mem.Startups {
		for name, ms := range st.ReadyMS {
			samples[name] = append(samples[name], ms)
		}
	}
	out := map[string]time.Duration{}
	for name, xs := range samples {
		sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
		out[name] = time.Duration(xs[len(xs)/2]) * time.Millisecond
	}
	return out
}

func (s *Store) writer() {
	defer close(s.done)
	for range s.kick {
		s.flush()
	}
}

func (s *Store) flush() {
	s.mu.Lock()
	// Marshal under the lock: a consistent snapshot.
	err := s.dir.SaveMemory(s.mem)
	s.mu.Unlock()
	if err != nil {
		s.log.Write(s.now(), "ERROR", "could not write memory.json: "+err.Error())
	}
}

func (s *Store) changed() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Record implements runner.Journal.
func (s *Store) Record(r runner.Record) {
	if r.Kind == runner.RecLog {
		s.log.Write(r.At, r.Level, r.Msg)
		return
	}
	if r.Kind == runner.RecStarted {
		// Before anything else: this pidfile is how a killed supervisor's
		// process is found again.
		if err := s.dir.WritePid(r.Instance.Name, r.PID); err != nil {
			s.log.Write(r.At, "ERROR", err.Error())
		}
		ct, _ := proc.CreateTime(r.PID)
		s.update(r.Instance.Name, func(in *Instance) {
			t := r.At
			in.PID, in.PGID, in.CreateTime, in.State, in.StartedAt = r.PID, r.PGID, ct, "starting", &t
			in.ReadyAt, in.ExitCode, in.Health = nil, nil, nil
		})
		return
	}
	if r.Kind == runner.RecBoot {
		s.boot(r)
		return
	}
	name := r.Instance.Name
	switch r.Kind {
	case runner.RecReady:
		s.update(name, func(in *Instance) {
			t := r.At
			in.ReadyAt = &t
			if in.Oneshot {
				in.State = "exited"
				code := 0
				in.ExitCode = &code
				_ = s.dir.RemovePid(name)
			} else {
				in.State = "ready"
			}
		})
	case runner.RecHealth:
		s.update(name, func(in *Instance) { in.Health = &Health{OK: r.OK, Message: r.Msg, At: r.At} })
	case runner.RecFailed, runner.RecSkipped:
		s.update(name, func(in *Instance) {
			if r.Kind == runner.RecSkipped {
				in.State = "skipped"
			} else {
				in.State = "failed"
			}
			if r.Code >= 0 && r.Kind == runner.RecFailed && in.PID > 0 {
				code := r.Code
				in.ExitCode = &code
			}
		})
	case runner.RecExited:
		s.update(name, func(in *Instance) {
			code := r.Code
			in.State, in.ExitCode = "exited", &code
		})
		_ = s.dir.RemovePid(name)
	case runner.RecStopped:
		s.update(name, func(in *Instance) {
			if in.State != "failed" && in.State != "exited" && in.State != "skipped" {
				in.State = "stopped"
			}
		})
		_ = s.dir.RemovePid(name)
	}
}

func (s *Store) update(name string, f func(*Instance)) {
	s.mu.Lock()
	if in := s.mem.Lookup(name); in != nil {
		f(in)
	}
	s.mu.Unlock()
	s.changed()
}

func (s *Store) boot(r runner.Record) {
	b := r.Boot
	s.mu.Lock()
	st := s.startup
	st.BootMS = b.Boot.Milliseconds()
	st.CriticalPath = b.CriticalPath
	st.Result = b.Result
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
	if b.Result == "ready" {
		t.Ready++
	} else if b.Result != "interrupted" {
		t.Failed++
	}
	s.mu.Unlock()
	s.changed()
}

// Close writes the final memory (no supervisor, every instance in its last
// state) and stops the writer.
func (s *Store) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mem.Supervisor = nil
	for _, in := range s.mem.Instances {
		if in.Running() {
			// The runner returned: nothing of it runs any more.
			in.State = "stopped"
		}
	}
	s.mu.Unlock()
	close(s.kick)
	<-s.done
	s.flush()
	for _, pf := range s.dir.ReadPids() {
		_ = s.dir.RemovePid(pf.Name)
	}
}

// Logf writes one event to hiverun.log.
func (s *Store) Logf(level, format string, args ...any) {
	s.log.Write(s.now(), level, fmt.Sprintf(format, args...))
}
