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

	// records are mem.Instances by name, and specs what each was
	// resolved from, guarded by mu: a record's identity is filled in when
	// its process starts, or by the next write (identify).
	records map[string]*Instance
	specs   map[string]*procfile.Instance
}

// identity is what a record keeps to tell whether a rerun changed an
// instance. A resolved instance never changes (a change is a new one), so
// it is computed once per instance, not at every start: for 100 processes
// hashing it again cost about a tenth of a boot's CPU.
type identity struct {
	fingerprint string
	settings    *procfile.Settings
}

// set gives rec this identity.
func (id identity) set(rec *Instance) { rec.Fingerprint, rec.Settings = id.fingerprint, id.settings }

func (s *Store) identityOf(in *procfile.Instance) identity {
	s.idMu.Lock()
	id, ok := s.ids[in]
	s.idMu.Unlock()
	if ok {
		return id
	}
	// Hashed outside the lock: the instances' goroutines and identifyAll
	// hash side by side.
	fp, settings := procfile.Identity(in)
	id = identity{fp, &settings}
	s.idMu.Lock()
	if first, ok := s.ids[in]; ok {
		id = first
	} else {
		s.ids[in] = id
	}
	s.idMu.Unlock()
	return id
}

// identifyAll hashes the plan's identities ahead of the starts that record
// them, in the background: before the first start one core is idle, and
// the starts themselves are bound by the CPU.
func (s *Store) identifyAll(plan []*procfile.Instance) {
	for _, in := range plan {
		s.identityOf(in)
	}
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
		stderr:  os.Stderr, failing: map[string]bool{}, ids: map[*procfile.Instance]identity{},
		records: map[string]*Instance{}, specs: map[string]*procfile.Instance{}}
	mem.Instances = nil
	// The first write names the supervisor and the stack id before any
	// process carries it; the records' identities (hashing each one's
	// environment) are made after it, by identifyAll.
	for _, in := range plan.Instances {
		s.addRecord(in)
	}
	// A memory that cannot be written is no reason to refuse supervising:
	// the processes are still found by the stack id in their environment,
	// and the next write may well succeed.
	s.wrote("memory.json", d.SaveMemory(mem))
	go s.identifyAll(plan.Instances)
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

// addRecord gives in a record, with mu held (or before the store is
// shared).
func (s *Store) addRecord(in *procfile.Instance) {
	rec := &Instance{Name: in.Name, Process: in.Proc.Name, Index: in.Proc.Index, State: life.Waiting}
	describe(rec, in)
	s.mem.Instances = append(s.mem.Instances, rec)
	s.records[in.Name], s.specs[in.Name] = rec, in
}

// identify fills in, with mu held, the identity of records whose process
// never started: a rerun compares every record with the Procfile.
func (s *Store) identify() {
	for name, rec := range s.records {
		if rec.Fingerprint == "" {
			s.identityOf(s.specs[name]).set(rec)
		}
	}
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
