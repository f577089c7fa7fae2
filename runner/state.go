package runner

import "strconv"

// State is where an instance is in its life.
type State int

// Instance states, in the order an instance normally goes through them.
const (
	StateWaiting  State = iota // for its dependencies
	StateStarting              // started, in its delay
	StateChecking              // readiness checks running
	StateReady
	StateExited   // ended after it was ready (a finished oneshot too)
	StateFailed   // exited or timed out before it was ready, or could not start
	StateSkipped  // a dependency failed
	StateStopping // stop signal sent
	StateStopped
	StateUnhealthy // ready once, now failing its health checks
)

var stateNames = [...]string{"waiting", "starting", "checking", "ready", "exited", "failed", "skipped", "stopping", "stopped", "unhealthy"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}
