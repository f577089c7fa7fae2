package runner

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

type want struct {
	state life.State
	acts  []action
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// base is a long-running instance with restart=no in state st, as it is
// there in ordinary life.
func base(st life.State) machine {
	m := machine{State: st, Policy: procfile.RestartNo, Threshold: 3, Delay: backoffMin}
	switch st {
	case life.Ready, life.Unhealthy, life.Backoff, life.Exited:
		m.Booted, m.ReadyAt = true, t0
	}
	if st == life.Unhealthy {
		m.Remind = t0
	}
	return m
}

// TestStepEveryPair: every state × event has an expectation; adding a
// state or an event without one fails here.
func TestStepEveryPair(t *testing.T) {
	t.Parallel()
	same := func(st life.State) map[evKind]want {
		m := map[evKind]want{}
		for k := evKind(0); k < numEvKinds; k++ {
			m[k] = want{state: st}
		}
		return m
	}
	with := func(m map[evKind]want, k evKind, st life.State, acts ...action) map[evKind]want {
		m[k] = want{st, acts}
		return m
	}
	table := map[life.State]map[evKind]want{}

	w := same(life.Waiting)
	with(w, evDepsReady, life.Starting, aStart)
	with(w, evDepFailed, life.Skipped)
	with(w, evStopReq, life.Stopped)
	with(w, evStackStop, life.Stopped)
	table[life.Waiting] = w

	s := same(life.Starting)
	with(s, evSpawnFailed, life.Failed)
	with(s, evReady, life.Ready, aWatch)
	with(s, evNotReady, life.Stopping, aSignal)
	with(s, evExit, life.Failed, aReap)
	with(s, evStopReq, life.Stopping, aSignal)
	with(s, evRestartReq, life.Stopping, aSignal)
	with(s, evStackStop, life.Stopping, aSignal)
	table[life.Starting] = s

	for _, st := range []life.State{life.Ready, life.Unhealthy} {
		r := same(st)
		with(r, evExit, life.Exited, aUnwatch, aReap)
		with(r, evStopReq, life.Stopping, aUnwatch, aSignal)
		with(r, evRestartReq, life.Stopping, aUnwatch, aSignal)
		with(r, evStackStop, life.Stopping, aUnwatch, aSignal)
		with(r, evHealthOK, life.Ready)
		table[st] = r
	}

	b := same(life.Backoff)
	with(b, evBackoffDone, life.Waiting)
	with(b, evStopReq, life.Stopped, aCancelBackoff)
	with(b, evRestartReq, life.Waiting, aCancelBackoff)
	with(b, evStackStop, life.Stopped, aCancelBackoff)
	table[life.Backoff] = b

	sp := same(life.Stopping)
	with(sp, evGone, life.Stopped)
	table[life.Stopping] = sp

	for _, st := range []life.State{life.Stopped, life.Exited, life.Failed, life.Skipped} {
		table[st] = with(same(st), evRestartReq, life.Waiting)
	}

	for _, st := range life.All {
		row, ok := table[st]
		if !ok {
			t.Errorf("state %s has no expectations", st)
			continue
		}
		for k := evKind(0); k < numEvKinds; k++ {
			exp, ok := row[k]
			if !ok {
				t.Errorf("%s × %s has no expectation", st, k)
				continue
			}
			m, acts := step(base(st), input{kind: k, at: t0.Add(time.Second), code: 3, reason: "why", policy: procfile.RestartNo})
			if m.State != exp.state || !slices.Equal(acts, exp.acts) {
				t.Errorf("%s × %s = %s %v, want %s %v", st, k, m.State, acts, exp.state, exp.acts)
			}
		}
	}
	if len(table) != len(life.All) {
		t.Errorf("the table has %d states, life.All %d", len(table), len(life.All))
	}
}

// TestStepPaths: the transitions that depend on more than the state.
func TestStepPaths(t *testing.T) {
	t.Parallel()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	cases := []struct {
		name  string
		m     machine
		evs   []input
		state life.State
		acts  []action // of the last event
		check func(machine) error
	}{
		{"restart=always: an exit backs off", func() machine { m := base(life.Ready); m.Policy = procfile.RestartAlways; return m }(),
			[]input{{kind: evExit, code: 0, at: at(time.Second)}}, life.Backoff, []action{aUnwatch, aReap, aBackoff}, nil},
		{"on-failure: code 0 is an end", func() machine { m := base(life.Ready); m.Policy = procfile.RestartOnFailure; return m }(),
			[]input{{kind: evExit, code: 0}}, life.Exited, []action{aUnwatch, aReap}, nil},
		{"on-failure: code 3 backs off", func() machine { m := base(life.Ready); m.Policy = procfile.RestartOnFailure; return m }(),
			[]input{{kind: evExit, code: 3, at: at(time.Second)}}, life.Backoff, []action{aUnwatch, aReap, aBackoff}, nil},
		{"backoff doubles", func() machine { m := base(life.Backoff); m.Delay = time.Second; return m }(),
			[]input{{kind: evBackoffDone}}, life.Waiting, nil, func(m machine) error {
				if m.Delay != 2*time.Second {
					return fmt.Errorf("delay %s", m.Delay)
				}
				return nil
			}},
		{"backoff is forgotten after a minute of ready", func() machine {
			m := base(life.Ready)
			m.Policy, m.Delay = procfile.RestartAlways, 8*time.Second
			return m
		}(), []input{{kind: evExit, at: at(2 * time.Minute)}}, life.Backoff, []action{aUnwatch, aReap, aBackoff}, func(m machine) error {
			if m.Delay != backoffMin {
				return fmt.Errorf("delay %s", m.Delay)
			}
			return nil
		}},
		{"a failed restart backs off under restart=always", func() machine {
			m := base(life.Starting)
			m.Policy, m.Booted = procfile.RestartAlways, true
			return m
		}(), []input{{kind: evExit, code: 1, at: at(time.Second)}}, life.Backoff, []action{aReap, aBackoff}, nil},
		{"a first start that fails fails, restart=always or not", func() machine {
			m := base(life.Starting)
			m.Policy = procfile.RestartAlways
			return m
		}(), []input{{kind: evExit, code: 1}}, life.Failed, []action{aReap}, nil},
		{"oneshot exit 0 is done", func() machine { m := base(life.Starting); m.Oneshot = true; return m }(),
			[]input{{kind: evExit, code: 0}}, life.Exited, []action{aReap}, nil},
		{"oneshot exit 2 failed", func() machine { m := base(life.Starting); m.Oneshot = true; return m }(),
			[]input{{kind: evExit, code: 2, reason: "exited with code 2"}}, life.Failed, []action{aReap}, func(m machine) error {
				if m.Reason != "exited with code 2" {
					return fmt.Errorf("reason %q", m.Reason)
				}
				return nil
			}},
		{"a long-running exit before ready says so", base(life.Starting),
			[]input{{kind: evExit, code: 4, reason: "exited with code 4"}}, life.Failed, []action{aReap}, func(m machine) error {
				if m.Reason != "exited with code 4 before it was ready" {
					return fmt.Errorf("reason %q", m.Reason)
				}
				return nil
			}},
		{"not ready in time: stopped, then failed", base(life.Starting),
			[]input{{kind: evNotReady, reason: "timeout"}, {kind: evGone}}, life.Failed, nil, nil},
		{"restart while stopping on request restarts", base(life.Ready),
			[]input{{kind: evStopReq}, {kind: evRestartReq}, {kind: evGone}}, life.Waiting, nil, nil},
		{"stop while restarting stays stopped", base(life.Ready),
			[]input{{kind: evRestartReq}, {kind: evStopReq}, {kind: evGone}}, life.Stopped, nil, nil},
		{"the stack stopping wins over a restart", base(life.Ready),
			[]input{{kind: evRestartReq}, {kind: evStackStop}, {kind: evRestartReq}, {kind: evGone}}, life.Stopped, nil, nil},
		{"nothing starts once the stack stops", base(life.Waiting),
			[]input{{kind: evStackStop}, {kind: evRestartReq}, {kind: evDepsReady}}, life.Stopped, nil, nil},
		{"exit while the stack stops is stopped", func() machine { m := base(life.Ready); m.Ending = true; m.Policy = procfile.RestartAlways; return m }(),
			[]input{{kind: evExit, code: 1}}, life.Stopped, []action{aUnwatch, aReap}, nil},
		{"three failed checks: unhealthy", base(life.Ready),
			[]input{{kind: evHealthFail, at: at(1)}, {kind: evHealthFail, at: at(2)}, {kind: evHealthFail, at: at(3), reason: "HTTP 503"}}, life.Unhealthy, nil, nil},
		{"two failed checks and a pass: still ready, count reset", base(life.Ready),
			[]input{{kind: evHealthFail}, {kind: evHealthFail}, {kind: evHealthOK}, {kind: evHealthFail}, {kind: evHealthFail}}, life.Ready, nil, nil},
		{"unhealthy, then healthy again", base(life.Unhealthy),
			[]input{{kind: evHealthOK}}, life.Ready, nil, func(m machine) error {
				if m.Fails != 0 || m.Reason != "" {
					return fmt.Errorf("fails %d reason %q", m.Fails, m.Reason)
				}
				return nil
			}},
		{"unhealthy: a reminder after a minute, not before", base(life.Unhealthy),
			[]input{{kind: evHealthFail, at: at(30 * time.Second)}, {kind: evHealthFail, at: at(61 * time.Second)}}, life.Unhealthy, []action{aRemind}, nil},
		{"unhealthy under restart=always: restarted", func() machine { m := base(life.Ready); m.Policy = procfile.RestartAlways; m.Fails = 2; return m }(),
			[]input{{kind: evHealthFail, reason: "HTTP 503"}}, life.Stopping, []action{aUnwatch, aSignal}, func(m machine) error {
				if m.Then != thenRestart {
					return fmt.Errorf("then %d", m.Then)
				}
				return nil
			}},
		{"apply changes the policy live", base(life.Ready),
			[]input{{kind: evApply, policy: procfile.RestartAlways}, {kind: evExit, code: 0}}, life.Backoff, []action{aUnwatch, aReap, aBackoff}, nil},
		{"restart of a failed instance waits for its dependencies again", base(life.Failed),
			[]input{{kind: evRestartReq}, {kind: evDepsReady}}, life.Starting, []action{aStart}, nil},
		{"a skipped instance is restartable", base(life.Skipped),
			[]input{{kind: evRestartReq}, {kind: evDepFailed, reason: "it depends on db, which failed"}}, life.Skipped, nil, nil},
	}
	for _, c := range cases {
		m := c.m
		var acts []action
		for _, ev := range c.evs {
			m, acts = step(m, ev)
		}
		if m.State != c.state || !slices.Equal(acts, c.acts) {
			t.Errorf("%s: %s %v, want %s %v", c.name, m.State, acts, c.state, c.acts)
			continue
		}
		if c.check != nil {
			if err := c.check(m); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		}
	}
}
