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
	// The exit code of the process that failed, or -1 where none ended by
	// itself (a start that failed, a readiness timeout): status showed
	// "failed (code 0)" for a process that exited with 2 before it was
	// ready.
	m.Reason, m.Code = ev.reason, -1
	if ev.kind == evExit {
		m.Code = code
	}
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
	switch ev.kind {
	case evApply:
		m.Policy = ev.policy
		return m, nil
	case evStackStop, evStopReq:
		return m.onStop(ev)
	case evRestartReq:
		return m.onRestart()
	case evDepsReady, evDepFailed, evSpawnFailed, evReady, evNotReady:
		return m.onStart(ev)
	case evExit:
		return m.onExit(ev)
	case evGone:
		return m.onGone(ev)
	case evHealthOK, evHealthFail:
		return m.onHealth(ev)
	case evBackoffDone:
		if m.State == life.Backoff && !m.Ending {
			m.State = life.Waiting
			m.Delay = min(2*m.Delay, backoffMax)
		}
	}
	return m, nil
}

// onStop: a stop on request, or the stack stopping, which also forbids
// any later start.
func (m machine) onStop(ev input) (machine, []action) {
	t := thenStay
	if ev.kind == evStackStop {
		m.Ending, t = true, thenEnd
	}
	switch m.State {
	case life.Waiting:
		m.State = life.Stopped
	case life.Backoff:
		m.State = life.Stopped
		return m, []action{aCancelBackoff}
	case life.Starting, life.Ready, life.Unhealthy:
		return m.stopping(t)
	case life.Stopping:
		if m.Then != thenEnd {
			m.Then = t
		}
	}
	return m, nil
}

// onRestart: from any state, back to waiting for its dependencies, through
// a stop when something runs.
func (m machine) onRestart() (machine, []action) {
	if m.Ending {
		return m, nil
	}
	switch m.State {
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
}

// onStart: the way from waiting to ready.
func (m machine) onStart(ev input) (machine, []action) {
	switch {
	case ev.kind == evDepsReady && m.State == life.Waiting && !m.Ending:
		m.State, m.Reason = life.Starting, ""
		return m, []action{aStart}
	case ev.kind == evDepFailed && m.State == life.Waiting:
		m.State, m.Reason = life.Skipped, ev.reason
	case ev.kind == evSpawnFailed && m.State == life.Starting:
		return m.fail(ev, -1, nil)
	case ev.kind == evReady && m.State == life.Starting && !m.Oneshot:
		m.State, m.Booted, m.Fails, m.ReadyAt, m.Reason = life.Ready, true, 0, ev.at, ""
		return m, []action{aWatch}
	case ev.kind == evNotReady && m.State == life.Starting:
		m.Reason = ev.reason
		return m.stopping(thenFail)
	}
	return m, nil
}

// onExit: its process ended by itself.
func (m machine) onExit(ev input) (machine, []action) {
	switch m.State {
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
}

// onGone: what was stopped is gone; what follows the stop decides.
func (m machine) onGone(ev input) (machine, []action) {
	if m.State != life.Stopping {
		return m, nil
	}
	switch {
	case m.Then == thenRestart && !m.Ending:
		m.State, m.Reason = life.Waiting, ""
	case m.Then == thenFail && !m.Ending:
		return m.fail(input{kind: evNotReady, at: ev.at, reason: m.Reason}, 1, nil)
	default:
		m.State = life.Stopped
	}
	return m, nil
}

// onHealth: a check of a ready instance. Failures in a row make it
// unhealthy (restarted under restart=always); a pass makes it healthy.
func (m machine) onHealth(ev input) (machine, []action) {
	switch {
	case ev.kind == evHealthOK && (m.State == life.Ready || m.State == life.Unhealthy):
		m.State, m.Fails, m.Reason = life.Ready, 0, ""
	case ev.kind == evHealthFail && m.State == life.Ready:
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
	case ev.kind == evHealthFail && m.State == life.Unhealthy:
		m.Fails++
		m.Reason = ev.reason
		if ev.at.Sub(m.Remind) >= remindEvery {
			m.Remind = ev.at
			return m, []action{aRemind}
		}
	}
	return m, nil
}
