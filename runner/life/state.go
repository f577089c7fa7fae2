// Package life is the vocabulary of an instance's life, shared by the
// runner, memory.json, status, history, logs and every --json: its states,
// what the runner tells its journal, and the requests other terminals send.
// It imports nothing of hiverun's but the plan model, so every package can
// speak it.
package life

import "time"

// State is where an instance is in its life. The strings are what
// memory.json, status and --json show.
type State string

// The states, in the order an instance normally goes through them.
const (
	Waiting   State = "waiting"   // for its dependencies
	Starting  State = "starting"  // started; in its delay or readiness checks
	Ready     State = "ready"     // passed its check (long-running)
	Unhealthy State = "unhealthy" // ready once, now failing its health checks
	Backoff   State = "backoff"   // ended or failed; restarting after a pause
	Stopping  State = "stopping"  // stop signal sent
	Stopped   State = "stopped"   // stopped on request or by the stack: not a failure
	Exited    State = "exited"    // ended by itself (a finished oneshot: code 0)
	Failed    State = "failed"    // could not start, or ended or timed out before ready
	Skipped   State = "skipped"   // not started: a dependency failed
)

// All is every state, for tables and tests that must cover each.
var All = []State{Waiting, Starting, Ready, Unhealthy, Backoff, Stopping, Stopped, Exited, Failed, Skipped}

// Parse reads a state as memory.json stores it, including the words of
// earlier hiverun versions ("checking" was the check phase of starting).
func Parse(s string) State {
	switch s {
	case "checking":
		return Starting
	case "gone":
		return Exited
	}
	for _, st := range All {
		if string(st) == s {
			return st
		}
	}
	return ""
}

// Running tells whether a process of the instance should be alive.
func (s State) Running() bool {
	switch s {
	case Starting, Ready, Unhealthy, Stopping:
		return true
	}
	return false
}

// Pending tells whether the instance still has work ahead in a live
// stack: it runs, or is about to start or restart. A stack with no
// pending instance has ended.
func (s State) Pending() bool {
	switch s {
	case Waiting, Backoff:
		return true
	}
	return s.Running()
}

// Up tells whether the instance does its job: ready, or a oneshot done.
func (s State) Up() bool { return s == Ready }

// Outcome is how a boot ended.
type Outcome string

// Boot outcomes.
const (
	BootReady       Outcome = "ready"
	BootFailed      Outcome = "failed"
	BootInterrupted Outcome = "interrupted"
)

// Result is a typed boot result: the outcome, and for a failure the
// process that failed and why.
type Result struct {
	Outcome Outcome `json:"outcome"`
	Process string  `json:"process,omitempty"`
	Reason  string  `json:"reason,omitempty"`
}

// String is the result as one line of text.
func (r Result) String() string {
	switch {
	case r.Outcome == BootFailed && r.Reason != "":
		return "failed: " + r.Reason
	case r.Outcome == BootFailed && r.Process != "":
		return "failed: " + r.Process
	case r.Outcome == "":
		return "unknown"
	}
	return string(r.Outcome)
}

// Span is one instance's part of a boot, for the waterfall.
type Span struct {
	Name     string          `json:"name"`
	Oneshot  bool            `json:"oneshot,omitempty"`
	Optional bool            `json:"optional,omitempty"`
	Waited   time.Duration   `json:"waited_ns"`          // from the boot's start until it started
	Took     time.Duration   `json:"took_ns"`            // from its start until ready (or failed)
	Tries    []time.Duration `json:"tries_ns,omitempty"` // check attempts, since its start
	State    State           `json:"state"`
	Reason   string          `json:"reason,omitempty"` // failed or skipped: why; last failing check answer
}
