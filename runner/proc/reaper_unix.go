//go:build unix

package proc

import (
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

// Reaper makes hiverun the parent of every descendant that its own parent
// abandons (Linux child subreaper) and reaps those that exit, as init would;
// as PID 1 in a container it reaps every orphan. Children started through
// it are registered, so their exit status stays with exec.Cmd.Wait. It is
// process-wide, so only main creates one; tests that run the runner
// in-process go without.
type Reaper struct {
	// gate lets spawns run together (RLock) but never while reap runs
	// (Lock): between a child's start and its registration it must not
	// be reaped from under its Wait.
	gate sync.RWMutex
	mu   sync.Mutex // guards own
	// own are the children started through Spawn, each with a channel
	// closed once it has exited (not reaped: its Wait collects it).
	own  map[int]chan struct{}
	self int
	sigc chan os.Signal
	done chan struct{}
}

// NewReaper starts reaping. It returns an error where the system cannot
// adopt orphans (then hiverun still stops whole process groups).
func NewReaper() (*Reaper, error) {
	self := os.Getpid()
	if self != 1 {
		if err := becomeSubreaper(); err != nil {
			return nil, err
		}
	}
	r := &Reaper{own: map[int]chan struct{}{}, self: self, sigc: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(r.sigc, syscall.SIGCHLD)
	go r.loop()
	current.Store(r)
	return r, nil
}

// current is the reaper of this process, if any: a child started outside
// the runner (run --with's command) must be registered with it too, or
// its exit is reaped from under its Wait ("waitid: no child processes").
var current atomic.Pointer[Reaper]

// SpawnOwn starts a child of this process with start, registered with the
// running reaper if there is one, and returns the pid's Waited, to call
// once the child's Wait has returned.
func SpawnOwn(start func() (int, error)) (waited func(), err error) {
	r := current.Load()
	if r == nil {
		_, err := start()
		return func() {}, err
	}
	var pid int
	err = r.Spawn(func() (int, error) {
		p, err := start()
		pid = p
		return p, err
	})
	return func() { r.Waited(pid) }, err
}

func (r *Reaper) loop() {
	for {
		select {
		case <-r.done:
			return
		case <-r.sigc:
			r.reap()
		}
	}
}

// reap tells which of our own children have exited (they are left to
// their Wait) and collects adopted children that have exited.
func (r *Reaper) reap() {
	r.gate.Lock()
	defer r.gate.Unlock()
	r.mu.Lock()
	for pid, exited := range r.own {
		select {
		case <-exited:
		default:
			if hasExited(pid) {
				close(exited)
			}
		}
	}
	r.mu.Unlock()
	own := func(pid int) bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		_, ok := r.own[pid]
		return ok
	}
	for _, pid := range zombieChildren(r.self, own) {
		reapPid(pid)
	}
}

// Exited is closed once pid, started through Spawn, has exited; it is not
// reaped, so its Wait returns at once. It is nil for a pid Spawn did not
// start or that Waited has forgotten, and on a nil Reaper. One SIGCHLD
// handler tells every child's exit: a pidfd per child in the poller cost
// a tenth of the time to start 100 processes.
func (r *Reaper) Exited(pid int) <-chan struct{} {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.own[pid]
}

// spawn runs start while no reaping can happen, then registers the pid,
// so a child that exits at once is not reaped from under its Wait.
func (r *Reaper) Spawn(start func() (int, error)) error {
	if r == nil {
		_, err := start()
		return err
	}
	r.gate.RLock()
	defer r.gate.RUnlock()
	pid, err := start()
	if err == nil {
		r.mu.Lock()
		r.own[pid] = make(chan struct{})
		r.mu.Unlock()
	}
	return err
}

// waited forgets pid once its Wait has returned.
func (r *Reaper) Waited(pid int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.own, pid)
	r.mu.Unlock()
}

// adopted lists the living descendants that were orphaned to hiverun.
func (r *Reaper) Adopted() []int {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	skip := make(map[int]bool, len(r.own))
	for pid := range r.own {
		skip[pid] = true
	}
	r.mu.Unlock()
	return adoptedTrees(r.self, skip)
}

// Close stops reaping.
func (r *Reaper) Close() {
	current.CompareAndSwap(r, nil)
	signal.Stop(r.sigc)
	close(r.done)
}

func SignalPid(pid int, sig string) {
	s, ok := signalNumbers[sig]
	if !ok {
		s = syscall.SIGTERM
	}
	_ = syscall.Kill(pid, s)
}
