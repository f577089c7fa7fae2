package state

import "time"

// Writing memory.json and the pidfiles: records are gathered and written
// by one goroutine, except the few someone waits to see.

// flushDelay gathers the records of a burst into one write; while the
// stack boots it is longer (bootFlushDelay), so that a quick boot is not
// slowed by writing memory.json and 100 pidfiles in the middle of it (a
// supervisor killed meanwhile still leaves its processes findable by the
// stack id in their environment).
const (
	flushDelay     = 25 * time.Millisecond
	bootFlushDelay = 250 * time.Millisecond
)

// writer writes what changed after a gathering delay, so a burst of records
// costs one write.
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

// flush writes memory.json and the pidfiles from one snapshot.
func (s *Store) flush() {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	// Marshal under the lock: a consistent snapshot.
	err := s.saveLocked()
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

// saveLocked writes memory.json, with mu held, every record with its
// identity: a rerun compares each one with the Procfile.
func (s *Store) saveLocked() error {
	s.identify()
	return s.dir.SaveMemory(s.mem)
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

// changed wakes the writer; a kick already pending covers this one.
func (s *Store) changed() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// update records a change that can wait for the gathering delay.
func (s *Store) update(name string, f func(*Instance)) { s.updateAt(name, f, false) }

// updateAt with urgent set writes at once once the stack has booted: a
// restart or reload is few changes, and someone waits to see them.
func (s *Store) updateAt(name string, f func(*Instance), urgent bool) {
	s.mu.Lock()
	if in := s.records[name]; in != nil {
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
