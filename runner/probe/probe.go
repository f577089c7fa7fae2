// Package probe waits for one readiness check, the way `hiverun probe`
// and the units and manifests that `hiverun export` writes use it: try the
// check until it passes or a timeout runs out, and keep the last answer.
package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/check"
)

// Parse reads a check in the annotation syntax. Only the forms that stand
// on their own are accepted: `tcp` and `/path` mean something only next
// to a process's $PORT.
func Parse(s string) (procfile.Check, error) {
	const want = "expected http://…, https://…, tcp://host:port or exec:CMD"
	if s == "tcp" || strings.HasPrefix(s, "/") {
		return procfile.Check{}, fmt.Errorf("check %q needs a process's $PORT; %s", s, want)
	}
	c, err := procfile.ParseCheck(s, 1)
	if err != nil {
		return procfile.Check{}, fmt.Errorf("check %q: %s", s, strings.TrimPrefix(err.Error(), "health="+s+": "))
	}
	return c, nil
}

// Options say how long to wait and where an exec check runs.
type Options struct {
	Timeout time.Duration // whole budget; 0 means one attempt
	Delay   time.Duration // wait before the first attempt
	Env     []string      // environment of an exec check; nil: hiverun's own
	Dir     string        // working directory of an exec check
}

// TimeoutError is a check that did not pass in time, with its last answer.
type TimeoutError struct {
	Check procfile.Check
	After time.Duration
	Tries int
	Last  error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: not ready after %s (%d tries): %v", e.Check, e.After.Round(time.Millisecond), e.Tries, e.Last)
}

func (e *TimeoutError) Unwrap() error { return e.Last }

// maxTry bounds one network attempt, so that a server that accepts and
// never answers still leaves time for another try.
const maxTry = 5 * time.Second

// minTry is the least time one attempt gets.
const minTry = 100 * time.Millisecond

// Wait tries c until it passes (nil), the timeout runs out
// (*TimeoutError) or ctx ends (ctx.Err()).
func Wait(ctx context.Context, c procfile.Check, o Options) error {
	if c.Kind == procfile.CheckNone {
		return errors.New("no check to wait for")
	}
	start := time.Now()
	deadline := start.Add(o.Delay + o.Timeout)
	if o.Delay > 0 {
		select {
		case <-time.After(o.Delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// The checker runs an exec check without a reaper: probe is its own
	// short-lived process, and exec.Cmd.Wait reaps what it starts.
	ck := check.New(c, o.Env, o.Dir, nil)
	tries := 0
	var last error
	// An answer that is not yet a pass backs off as the runner's checks
	// do: a unit's or container's probe must not flood the app's log.
	pace := check.Pacer{Kind: c.Kind}
	for {
		budget := time.Until(deadline)
		if c.Kind != procfile.CheckExec && budget > maxTry {
			budget = maxTry
		}
		// The first try, and the last one at the deadline, still get a
		// moment to answer.
		budget = max(budget, minTry)
		tctx, cancel := context.WithTimeout(ctx, budget)
		last = ck.Try(tctx)
		cancel()
		tries++
		if last == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(last, context.DeadlineExceeded) {
			last = errors.New("no answer in time")
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return &TimeoutError{Check: c, After: time.Since(start), Tries: tries, Last: last}
		}
		select {
		case <-time.After(min(max(pause(c.Kind, time.Since(start)), pace.Next(time.Since(start), last)), remaining)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pause spaces attempts: quick at first, as the runner does, then relaxed,
// since a probe often waits on a service that takes seconds to boot and an
// exec check costs a process per try.
func pause(kind procfile.CheckKind, elapsed time.Duration) time.Duration {
	d := check.Interval(kind, elapsed, 0)
	switch {
	case elapsed > 10*time.Second:
		d = max(d, 250*time.Millisecond)
	case elapsed > 2*time.Second:
		d = max(d, 50*time.Millisecond)
	}
	if kind == procfile.CheckExec {
		d = max(d, 50*time.Millisecond)
	}
	return d
}
