package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/hiverun/hiverun/runner/life"
)

// summary renders the boot line: total time and the critical path, the
// chain of instances each of which waited for the one before it.
func (r *run) summary() string {
	path := r.criticalPath()
	var last time.Time
	failed := 0
	for _, in := range r.original() {
		in.mu.Lock()
		if in.everReady && in.readyAt.After(last) {
			last = in.readyAt
		}
		ok := in.everReady
		in.mu.Unlock()
		if !ok {
			failed++
		}
	}
	if last.IsZero() {
		last = r.opts.Now()
	}
	s := "ready in " + fmtSecs(last.Sub(r.boot))
	if len(path) > 0 {
		parts := make([]string, len(path))
		for i, in := range path {
			parts[i] = in.spec.Display + " " + fmtSecs(in.readyDuration())
		}
		s += " — " + strings.Join(parts, " → ")
	}
	if failed > 0 {
		s += fmt.Sprintf(" (%d optional not running)", failed)
	}
	return s
}

// criticalPath starts from the instance that became ready last and walks
// back through the dependency that became ready last before it started.
func (r *run) criticalPath() []*inst {
	var end *inst
	var endAt time.Time
	for _, in := range r.original() {
		in.mu.Lock()
		at, ok := in.readyAt, in.everReady
		in.mu.Unlock()
		if ok && at.After(endAt) {
			end, endAt = in, at
		}
	}
	var path []*inst
	for end != nil {
		path = append(path, end)
		var gate *inst
		var gateAt time.Time
		for _, d := range end.deps {
			d.mu.Lock()
			at := d.readyAt
			d.mu.Unlock()
			if at.After(gateAt) {
				gate, gateAt = d, at
			}
		}
		end = gate
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// liveLine says what the boot is waiting on and why:
// "waiting: admin ← backend (HTTP 404, 2.9s of 6s) ← redis (ready)".
func (r *run) liveLine() string {
	now := r.opts.Now()
	describe := func(in *inst) string {
		in.mu.Lock()
		defer in.mu.Unlock()
		switch in.state {
		case life.Starting:
			switch {
			case in.spec.Proc.Oneshot:
				return fmt.Sprintf("%s (running %.1fs)", in.spec.Display, now.Sub(in.startAt).Seconds())
			case in.tries > 0:
				// The last answer and the time spent of its budget.
				return fmt.Sprintf("%s (%s, %s of %s)", in.spec.Display, in.lastErr, fmtSecs1(now.Sub(in.startAt)), fmtBudget(in.spec.Proc.Timeout))
			}
			return fmt.Sprintf("%s (starting %.1fs)", in.spec.Display, now.Sub(in.startAt).Seconds())
		case life.Waiting:
			return in.spec.Display
		default:
			return fmt.Sprintf("%s (%s)", in.spec.Display, in.state)
		}
	}
	waitedOn := map[*inst]bool{}
	for _, in := range r.insts {
		if in.getState() == life.Waiting {
			for _, d := range in.deps {
				waitedOn[d] = true
			}
		}
	}
	// Leaves waiting on the same chain are shown together:
	// "admin, site ← backend (connection refused, 0.4s of 30s)".
	var order []string
	leaves := map[string][]string{}
	for _, in := range r.insts {
		st := in.getState()
		if waitedOn[in] || (st != life.Waiting && st != life.Starting) {
			continue
		}
		rest := ""
		cur := in
		for cur.getState() == life.Waiting {
			var next *inst
			for _, d := range cur.deps {
				if s := d.getState(); s != life.Ready && s != life.Exited {
					next = d
					break
				}
			}
			if next == nil {
				break
			}
			rest += " ← " + describe(next)
			cur = next
		}
		if rest == "" {
			order = append(order, describe(in))
			continue
		}
		if _, seen := leaves[rest]; !seen {
			order = append(order, rest)
		}
		leaves[rest] = append(leaves[rest], in.spec.Display)
	}
	chains := make([]string, 0, len(order))
	for _, key := range order {
		if names, ok := leaves[key]; ok {
			chains = append(chains, strings.Join(names, ", ")+key)
		} else {
			chains = append(chains, key)
		}
	}
	if len(chains) == 0 {
		return ""
	}
	line := "waiting: " + strings.Join(chains, "; ")
	if rs := []rune(line); len(rs) > r.opts.LiveWidth-1 {
		line = string(rs[:r.opts.LiveWidth-2]) + "…"
	}
	return line
}
