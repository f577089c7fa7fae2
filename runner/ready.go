package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/check"
	"github.com/hiverun/hiverun/runner/life"
)

// becomeReady waits until the instance is ready by its own measure and
// says so (evReady), or that it ran out of time (evNotReady). An exit
// says nothing here: the exit watcher reports it.
func (r *run) becomeReady(in *inst, p *child, spec *procfile.Instance, gen int, first bool) {
	def := spec.Proc
	// The timeout runs from the start: a delay is part of it.
	deadline := time.NewTimer(def.Timeout)
	defer deadline.Stop()
	if def.Oneshot {
		select {
		case <-deadline.C:
			in.post(input{kind: evNotReady, gen: gen, reason: fmt.Sprintf("did not finish within its timeout of %s", def.Timeout)})
		case <-p.ctx.Done():
		}
		return
	}
	if def.Delay > 0 {
		select {
		case <-time.After(def.Delay):
		case <-p.ctx.Done():
			return
		}
	}
	if spec.Check.Kind == procfile.CheckNone {
		// Ready after its delay (without one, begin said so at spawn).
		if exitedCode(p) < 0 {
			in.post(input{kind: evReady, gen: gen})
		}
		return
	}
	r.checkUntilReady(in, p, spec, gen, first, deadline.C)
}

// checkUntilReady tries the instance's readiness check, paced by what
// earlier boots took, until it passes (evReady) or the deadline comes
// (evNotReady, with the last real answer). first keeps the moments of the
// tries for the first start's summary.
func (r *run) checkUntilReady(in *inst, p *child, spec *procfile.Instance, gen int, first bool, deadline <-chan time.Time) {
	def := spec.Proc
	ck := check.New(spec.Check, spec.Environ, spec.Dir, r.reaper)
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	go func() {
		select {
		case <-deadline:
			cancel()
		case <-ctx.Done():
		}
	}()
	began := time.Now()
	pace := check.Pacer{Kind: spec.Check.Kind, Expected: r.opts.Expected[spec.Name]}
	var last error
	var lastAt time.Duration // when the last real answer came, into the wait
	tries := 0
	for {
		if first {
			in.mu.Lock()
			if len(in.tryAt) < 500 {
				in.tryAt = append(in.tryAt, time.Since(began))
			}
			in.mu.Unlock()
		}
		// A try may take the rest of the timeout: a check that answers
		// in 3 s (a warming cache, a slow health endpoint) must be able
		// to pass, as `hiverun probe` lets it.
		err := ck.Try(ctx)
		if err == nil {
			in.post(input{kind: evReady, gen: gen})
			return
		}
		// An attempt cut short by the deadline says nothing about the
		// service: report the last real answer instead.
		if ctx.Err() == nil || last == nil {
			last, lastAt = err, time.Since(began)
		}
		tries++
		in.mu.Lock()
		in.tries, in.lastErr = tries, last.Error()
		in.mu.Unlock()
		select {
		case <-time.After(pace.Next(time.Since(began), err)):
			continue
		case <-ctx.Done():
		}
		if p.ctx.Err() != nil {
			return // it exited or is being stopped: not a readiness verdict
		}
		r.record(life.Record{Kind: life.RecHealth, Instance: spec, OK: false, Msg: last.Error()})
		budget := fmtBudget(def.Timeout)
		in.post(input{kind: evNotReady, gen: gen, reason: fmt.Sprintf("not ready within its timeout of %s (%s: %v, %s of %s, %d %s)",
			budget, spec.Check, last, fmtSecs1(lastAt), budget, tries, plural(tries, "try", "tries"))})
		return
	}
}

// fmtSecs1 is a time spent of a budget, as the live line shows it: 2.9s.
func fmtSecs1(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// fmtBudget is a configured time as it was likely written: 60s, not 1m0s.
func fmtBudget(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Second:
		return d.String()
	}
	return fmtSecs1(d)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// watch keeps checking a ready instance at the health interval and tells
// the instance each result; step counts the failures.
func (r *run) watch(in *inst) {
	p := in.child
	spec := in.current()
	if spec.Check.Kind == procfile.CheckNone || r.opts.HealthInterval < 0 || p == nil {
		return
	}
	ctx, cancel := context.WithCancel(p.ctx)
	in.unwatch = cancel
	gen := in.gen
	in.checks.Add(1)
	go func() {
		defer in.checks.Done()
		ck := check.New(spec.Check, spec.Environ, spec.Dir, r.reaper)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(r.opts.HealthInterval):
			}
			attempt, done := context.WithTimeout(ctx, min(5*time.Second, r.opts.HealthInterval))
			err := ck.Try(attempt)
			done()
			if ctx.Err() != nil {
				return
			}
			ev := input{kind: evHealthOK, gen: gen}
			if err != nil {
				ev = input{kind: evHealthFail, gen: gen, reason: fmt.Sprintf("%s: %v", spec.Check, err)}
			}
			// Every result is kept: status shows the last check and when.
			r.record(life.Record{Kind: life.RecHealth, Instance: spec, OK: err == nil, Msg: healthMsg(spec, err)})
			in.post(ev)
		}
	}()
}

func healthMsg(spec *procfile.Instance, err error) string {
	if err != nil {
		return err.Error()
	}
	return spec.Check.String()
}
