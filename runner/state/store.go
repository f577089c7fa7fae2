package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
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
	booted  bool
	mem     *Memory
	startup *Startup
	closed  bool

	flushMu sync.Mutex     // one flush at a time: the writer's, a boot's, Close's
	written map[string]int // pidfiles on disk, guarded by flushMu

	kick chan struct{}
	quit chan struct{} // cuts the gathering delay short on Close
	done chan struct{}

	// stderr is where a failed write is reported, besides hiverun.log.
	stderr  io.Writer
	failMu  sync.Mutex
	failing map[string]bool // what kind of write fails now: reported once

	idMu sync.Mutex
	ids  map[*procfile.Instance]identity
}

// identity is what a record keeps to tell whether a rerun changed an
// instance. A resolved instance never changes (a change is a new one), so
// it is computed once per instance, not at every start: for 100 processes
// hashing it again cost about a tenth of a boot's CPU.
type identity struct {
	fingerprint string
	settings    *procfile.Settings
}

func (s *Store) identityOf(in *procfile.Instance) identity {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	id, ok := s.ids[in]
	if !ok {
		id = identity{procfile.Fingerprint(in), settingsOf(in)}
		s.ids[in] = id
	}
	return id
}

// NewStore starts recording a supervision of plan. reclaimed is how many
// leftovers this start stopped.
func NewStore(d *Dir, mem *Memory, log *Log, plan *procfile.Plan, selection []string, reclaimed int) (*Store, error) {
	now := time.Now
	self := os.Getpid()
	ct, _ := proc.CreateTime(self)
	mem.Supervisor = &Supervisor{PID: self, CreateTime: ct, StartedAt: now(),
		Procfile: plan.Procfile.File, Root: plan.Root, Selection: selection}
	if mem.StackID == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		mem.StackID = hex.EncodeToString(b)
	}
	s := &Store{dir: d, log: log, now: now, mem: mem, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}), written: map[string]int{},
		startup: &Startup{At: now(), Selection: selection, ReadyMS: map[string]int64{}, Reclaimed: reclaimed},
		stderr:  os.Stderr, failing: map[string]bool{}, ids: map[*procfile.Instance]identity{}}
	mem.Instances = nil
	for _, in := range plan.Instances {
		mem.Instances = append(mem.Instances, s.newRecord(in))
	}
	// A memory that cannot be written is no reason to refuse supervising:
	// the processes are still found by the stack id in their environment,
	// and the next write may well succeed.
	s.wrote("memory.json", d.SaveMemory(mem))
	go s.writer()
	return s, nil
}

// wrote reports a failed state write once (on stderr and in hiverun.log),
// not at every flush while it keeps failing, and says when writes work
// again. A failed write never stops the stack: memory and pidfiles are
// there to find the processes later, and the supervisor still has them.
func (s *Store) wrote(what string, err error) {
	s.failMu.Lock()
	was := s.failing[what]
	s.failing[what] = err != nil
	stderr := s.stderr
	s.failMu.Unlock()
	switch {
	case err != nil && !was:
		msg := fmt.Sprintf("could not write %s (the stack runs on; reported once): %v", what, err)
		s.log.Write(s.now(), "ERROR", msg)
		fmt.Fprintln(stderr, "hiverun: "+msg)
	case err == nil && was:
		s.log.Write(s.now(), "INFO", what+" written again")
	}
}

// Env is what every process of the stack carries in its environment.
func (s *Store) Env() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []string{StackEnv + "=" + s.mem.StackID}
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

// flushDelay gathers the records of a burst into one write; while the
// stack boots it is longer (bootFlushDelay), so that a quick boot is not
// slowed by writing memory.json and 100 pidfiles in the middle of it (a
// supervisor killed meanwhile still leaves its processes findable by the
// stack id in their environment).
const (
	flushDelay     = 25 * time.Millisecond
	bootFlushDelay = 250 * time.Millisecond
)

func (s *Store) writer() {
	defer close(s.done)
	for {
		select {
		case <-s.kick:
		case <-s.quit:
			return
		}
		s.mu.Lock()
		delay := bootFlushDelay
		if s.booted {
			delay = flushDelay
		}
		s.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-s.quit:
			return
		}
		s.flush()
	}
}

func (s *Store) flush() {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	// Marshal under the lock: a consistent snapshot.
	err := s.dir.SaveMemory(s.mem)
	pids := map[string]int{}
	for _, in := range s.mem.Instances {
		if in.Running() {
			pids[in.Name] = in.PID
		}
	}
	s.mu.Unlock()
	s.wrote("memory.json", err)
	s.syncPids(pids)
}

// syncPids makes pids/ match the running instances. Only the writer and
// Close call it, one after the other.
func (s *Store) syncPids(want map[string]int) {
	var failed error
	for name, pid := range want {
		if s.written[name] == pid {
			continue
		}
		if err := s.dir.WritePid(name, pid); err != nil {
			failed = err
			continue
		}
		s.written[name] = pid
	}
	s.wrote("pidfiles", failed)
	for name := range s.written {
		if _, ok := want[name]; !ok {
			_ = s.dir.RemovePid(name)
			delete(s.written, name)
		}
	}
}

func (s *Store) changed() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Store) newRecord(in *procfile.Instance) *Instance {
	id := s.identityOf(in)
	return &Instance{
		Name: in.Name, Process: in.Proc.Name, Command: in.Proc.Command, Port: in.Port,
		PortOwned: in.PortOwned, Optional: in.Proc.Optional, Oneshot: in.Proc.Oneshot, State: life.Waiting,
		Fingerprint: id.fingerprint, Settings: id.settings,
	}
}

// Record implements life.Journal.
func (s *Store) Record(r life.Record) {
	if r.Kind == life.RecLog {
		s.log.Write(r.At, r.Level, r.Msg)
		return
	}
	if r.Instance != nil {
		// A process added to the running stack (run --with from another
		// terminal) is remembered like those it started with.
		s.mu.Lock()
		if s.mem.Lookup(r.Instance.Name) == nil {
			s.mem.Instances = append(s.mem.Instances, s.newRecord(r.Instance))
		}
		s.mu.Unlock()
	}
	if r.Kind == life.RecStarted {
		// The pidfile is written with the next flush, off the path of
		// starting: a supervisor killed before it still leaves its
		// processes findable by the stack id in their environment. The
		// create time is read now (one /proc read): later, the pid
		// might already name another process.
		ct, _ := proc.CreateTime(r.PID)
		s.updateAt(r.Instance.Name, func(in *Instance) {
			t := r.At
			if in.StartedAt != nil {
				in.Restarts++
			}
			in.PID, in.PGID, in.CreateTime, in.State, in.StartedAt = r.PID, r.PGID, ct, life.Starting, &t
			id := s.identityOf(r.Instance)
			in.Fingerprint, in.Command, in.Settings = id.fingerprint, r.Instance.Proc.Command, id.settings
			in.ReadyAt, in.ExitCode, in.Health, in.Reason = nil, nil, nil, ""
		}, true)
		return
	}
	if r.Kind == life.RecBoot {
		s.boot(r)
		return
	}
	name := r.Instance.Name
	switch r.Kind {
	case life.RecReady:
		s.updateAt(name, func(in *Instance) {
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
	case life.RecHealth:
		s.update(name, func(in *Instance) {
			in.Health = &Health{OK: r.OK, Message: r.Msg, At: r.At}
			switch {
			case !r.OK && in.State == life.Ready:
				in.State = life.Unhealthy
			case r.OK && in.State == life.Unhealthy:
				in.State = life.Ready
			}
		})
	case life.RecFailed, life.RecSkipped:
		s.update(name, func(in *Instance) {
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
	case life.RecExited:
		s.update(name, func(in *Instance) {
			code := r.Code
			in.State, in.ExitCode = life.Exited, &code
		})
	case life.RecStopped:
		// The runner says each state itself (RecState); this only ends a
		// stop that nothing else will report.
		s.update(name, func(in *Instance) {
			if in.State == life.Stopping {
				in.State = life.Stopped
			}
		})
	case life.RecState:
		s.state(name, r)
	case life.RecApplied:
		// A reload applied a change live: a rerun compares with it.
		s.updateAt(name, func(in *Instance) {
			id := s.identityOf(r.Instance)
			in.Settings, in.Fingerprint = id.settings, id.fingerprint
		}, true)
	}
}

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

func (s *Store) update(name string, f func(*Instance)) { s.updateAt(name, f, false) }

// updateAt with urgent set writes at once once the stack has booted: a
// restart or reload is few changes, and someone waits to see them.
func (s *Store) updateAt(name string, f func(*Instance), urgent bool) {
	s.mu.Lock()
	if in := s.mem.Lookup(name); in != nil {
		f(in)
	}
	booted := s.booted
	s.mu.Unlock()
	if booted && urgent {
		s.flush()
		return
	}
	s.changed()
}

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
	err := s.dir.SaveMemory(s.mem)
	s.mu.Unlock()
	s.wrote("memory.json", err)
	s.changed()
}

// Sync writes memory.json now: a control request is about to be
// answered.
func (s *Store) Sync() {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		s.flush()
	}
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
		if in.Running() || in.State == life.Waiting || in.State == life.Starting || in.State == life.Backoff {
			// The runner returned: nothing of it runs any more, and
			// nothing waits to start.
			in.State = life.Stopped
		}
	}
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	s.flush()
	s.log.Flush()
	for _, pf := range s.dir.ReadPids() {
		_ = s.dir.RemovePid(pf.Name)
	}
}

// Logf writes one event to hiverun.log.
func (s *Store) Logf(level, format string, args ...any) {
	s.log.Write(s.now(), level, fmt.Sprintf(format, args...))
}

func settingsOf(in *procfile.Instance) *procfile.Settings {
	s := procfile.SettingsOf(in)
	return &s
}
