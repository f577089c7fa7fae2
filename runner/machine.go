package runner

import (
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// The life of one instance as a pure function: (machine, input) →
// (machine, actions). The instance's goroutine feeds it every event and
// carries out the actions; nothing here touches a process, a clock or a
// channel, so every state × event pair is table-tested without processes.

// evKind is something that can happen to an instance.
type evKind int

const (
	evDepsReady   evKind = iota // supervisor: every dependency is ready
	evDepFailed                 // supervisor: a dependency failed or was skipped
	evSpawnFailed               // the command could not be started (or clean= failed)
	evReady                     // its readiness check passed (delay over, or no check)
	evNotReady                  // its readiness check ran out of time
	evExit                      // its process ended by itself
	evGone                      // what was being stopped is gone, descendants included
	evHealthOK                  // a health check passed
	evHealthFail                // a health check failed
	evBackoffDone               // the pause before a restart is over
	evStopReq                   // `hiverun stop NAME`
	evRestartReq                // `hiverun restart NAME`, or a reload that needs it
	evApply                     // a reload changed what applies live (policy, grace, signal)
	evStackStop                 // the stack stops: this instance's dependents are down
	numEvKinds
)

var evNames = [...]string{"deps-ready", "dep-failed", "spawn-failed", "ready", "not-ready", "exit", "gone",
	"health-ok", "health-fail", "backoff-done", "stop", "restart", "apply", "stack-stop"}

func (k evKind) String() string { return evNames[k] }

// input is one event with what the machine needs to decide.
type input struct {
	kind   evKind
	at     time.Time
	code   int    // evExit: exit code
	reason string // why: the exit, the failed check, the failed dependency
	policy string
	// Not for step: gen tells an event of the current process or timer
	// from a stale one (0: from the supervisor); spec is a reload's new
	// settings.
	gen  int
	spec *procfile.Instance
}

// then is what follows a stop in progress.
type then int

const (
	thenStay    then = iota // stopped on request
	thenRestart             // start again once it is gone
	thenEnd                 // the stack stops
	thenFail                // it did not become ready in time
)

// action is work for the instance's goroutine.
type action int

const (
	aStart         action = iota // clean=, spawn, begin the readiness check
	aWatch                       // begin health checks
	aUnwatch                     // end health checks
	aSignal                      // stop signal, SIGKILL after grace; evGone when all is gone
	aReap                        // it ended by itself: stop what it left behind
	aBackoff                     // arm the restart timer for m.Delay
	aCancelBackoff               // disarm it
	aRemind                      // say again that it is unhealthy
)

// Restart backoff: from 100 ms, doubling to 30 s, forgotten after 60 s of
// being ready; at most one "still unhealthy" reminder a minute.
const (
	backoffMin    = 100 * time.Millisecond
	backoffMax    = 30 * time.Second
	backoffReset  = 60 * time.Second
	remindEvery   = time.Minute
	unhealthyWord = "unhealthy"
)

// machine is an instance's state and what its next transitions depend on.
type machine struct {
	State     life.State
	Then      then // while Stopping
	Oneshot   bool
	Policy    string
	Threshold int // health failures in a row that make it unhealthy

	Booted  bool          // has been ready (or done) once: a later failure may back off
	Ending  bool          // the stack is stopping: nothing starts again
	Fails   int           // health checks failed in a row
	Delay   time.Duration // the next backoff
	ReadyAt time.Time
	Remind  time.Time // when the last unhealthy line was said
	Code    int       // Exited: exit code
	Reason  string    // Failed, Skipped, Backoff, Exited, Unhealthy: why
}

func newMachine(p *procfile.Process, threshold int) machine {
	return machine{State: life.Waiting, Oneshot: p.Oneshot, Policy: p.Restart, Threshold: threshold, Delay: backoffMin}
}

// restarts tells whether the policy restarts a process that ended with code.
func (m machine) restarts(code int) bool {
	return !m.Oneshot && !m.Ending &&
		(m.Policy == procfile.RestartAlways || m.Policy == procfile.RestartOnFailure && code != 0)
}

// fail is a start that did not come to ready: a restart that the policy
// allows backs off, a first start fails for good.
func (m machine) fail(ev input, code int, acts []action) (machine, []action) {
	m.Reason = ev.reason
	if m.Booted && m.restarts(max(code, 1)) {
		return m.backoff(ev, acts)
	}
	m.State = life.Failed
	return m, acts
}

func (m machine) backoff(ev input, acts []action) (machine, []action) {
	if !m.ReadyAt.IsZero() && ev.at.Sub(m.ReadyAt) > backoffReset {
		m.Delay = backoffMin
	}
	m.State = life.Backoff
	return m, append(acts, aBackoff)
}

func (m machine) stopping(t then, acts ...action) (machine, []action) {
	if m.State == life.Ready || m.State == life.Unhealthy {
		acts = append(acts, aUnwatch)
	}
	m.State, m.Then = life.Stopping, t
	return m, append(acts, aSignal)
}

// step is the whole life of an instance.
func step(m machine, ev input) (machine, []action) {
	st := m.State
	switch ev.kind {
	case evApply:
		m.Policy = ev.policy
		return m, nil

	case evStackStop:
		m.Ending = true
		switch st {
		case life.Waiting:
			m.State = life.Stopped
		case life.Backoff:
			m.State = life.Stopped
			return m, []action{aCancelBackoff}
		case life.Starting, life.Ready, life.Unhealthy:
			return m.stopping(thenEnd)
		case life.Stopping:
			m.Then = thenEnd
		}
		return m, nil

	case evStopReq:
		switch st {
		case life.Waiting:
			m.State = life.Stopped
		case life.Backoff:
			m.State = life.Stopped
			return m, []action{aCancelBackoff}
		case life.Starting, life.Ready, life.Unhealthy:
			return m.stopping(thenStay)
		case life.Stopping:
			if m.Then != thenEnd {
				m.Then = thenStay
			}
		}
		return m, nil

	case evRestartReq:
		if m.Ending {
			return m, nil
		}
		switch st {
		case life.Backoff:
			m.State = life.Waiting
			return m, []action{aCancelBackoff}
		case life.Starting, life.Ready, life.Unhealthy:
			return m.stopping(thenRestart)
		case life.Stopping:
			if m.Then != thenEnd {
				m.Then = thenRestart
			}
		case life.Stopped, life.Exited, life.Failed, life.Skipped:
			m.State, m.Reason, m.Code = life.Waiting, "", 0
		}
		return m, nil

	case evDepsReady:
		if st == life.Waiting && !m.Ending {
			m.State, m.Reason = life.Starting, ""
			return m, []action{aStart}
		}
		return m, nil

	case evDepFailed:
		if st == life.Waiting {
			m.State, m.Reason = life.Skipped, ev.reason
		}
		return m, nil

	case evSpawnFailed:
		if st == life.Starting {
			return m.fail(ev, -1, nil)
		}
		return m, nil

	case evReady:
		if st == life.Starting && !m.Oneshot {
			m.State, m.Booted, m.Fails, m.ReadyAt, m.Reason = life.Ready, true, 0, ev.at, ""
			return m, []action{aWatch}
		}
		return m, nil

	case evNotReady:
		if st == life.Starting {
			m.Reason = ev.reason
			return m.stopping(thenFail)
		}
		return m, nil

	case evExit:
		switch st {
		case life.Starting:
			if m.Oneshot && ev.code == 0 {
				m.State, m.Booted, m.Code, m.Reason, m.ReadyAt = life.Exited, true, 0, ev.reason, ev.at
				return m, []action{aReap}
			}
			if !m.Oneshot {
				ev.reason += " before it was ready"
			}
			return m.fail(ev, ev.code, []action{aReap})
		case life.Ready, life.Unhealthy:
			acts := []action{aUnwatch, aReap}
			m.Code, m.Reason = ev.code, ev.reason
			switch {
			case m.Ending:
				m.State = life.Stopped
			case m.restarts(ev.code):
				return m.backoff(ev, acts)
			default:
				m.State = life.Exited
			}
			return m, acts
		}
		return m, nil

	case evGone:
		if st != life.Stopping {
			return m, nil
		}
		switch {
		case m.Then == thenRestart && !m.Ending:
			m.State, m.Reason = life.Waiting, ""
		case m.Then == thenFail && !m.Ending:
			m.State = life.Starting // fail decides from here
			return m.fail(input{kind: evNotReady, at: ev.at, reason: m.Reason}, 1, nil)
		default:
			m.State = life.Stopped
		}
		return m, nil

	case evHealthOK:
		switch st {
		case life.Ready:
			m.Fails = 0
		case life.Unhealthy:
			m.State, m.Fails, m.Reason = life.Ready, 0, ""
		}
		return m, nil

	case evHealthFail:
		switch st {
		case life.Ready:
			m.Fails++
			if m.Fails < m.Threshold {
				return m, nil
			}
			m.Reason = ev.reason
			if m.Policy == procfile.RestartAlways && !m.Ending {
				m.Reason = unhealthyWord + ": " + ev.reason
				return m.stopping(thenRestart)
			}
			m.State, m.Remind = life.Unhealthy, ev.at
		case life.Unhealthy:
			m.Fails++
			m.Reason = ev.reason
			if ev.at.Sub(m.Remind) >= remindEvery {
				m.Remind = ev.at
				return m, []action{aRemind}
			}
		}
		return m, nil

	case evBackoffDone:
		if st == life.Backoff && !m.Ending {
			m.State = life.Waiting
			m.Delay = min(2*m.Delay, backoffMax)
		}
		return m, nil
	}
	return m, nil
}
