// Package ui draws the stack for people: the boot waterfall as a plain
// SVG file, and a live local dashboard served on 127.0.0.1 behind a
// token. It reads the shared state vocabulary (runner/life) and
// memory.json's records (runner/state); what it shows and acts on comes
// through a Backend, so the page is the same whether it runs in its own
// process or beside the supervisor.
package ui

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/state"
)

// Boot is one boot, as the waterfall draws it.
type Boot struct {
	At           time.Time
	Total        time.Duration // boot start until the last instance was ready
	Result       life.Result
	CriticalPath []string
	Spans        []life.Span // in start order
	// Estimated is set when the boot was recorded without spans and the
	// bars were rebuilt from time-to-ready alone: start times are then
	// partly inferred, and the picture says so.
	Estimated bool
}

// startupJSON reads a memory.json startup in both of its forms: with a
// plain-string result and no spans (before spans were recorded), and with
// a typed result and spans. Reading through JSON keeps this package
// independent of which form the state package declares.
type startupJSON struct {
	At           time.Time        `json:"at"`
	Selection    []string         `json:"selection"`
	ReadyMS      map[string]int64 `json:"ready_ms"`
	BootMS       int64            `json:"boot_ms"`
	CriticalPath []string         `json:"critical_path"`
	Result       json.RawMessage  `json:"result"`
	Spans        []life.Span      `json:"spans"`
}

// parseResult reads "ready", "interrupted", "failed: NAME …" or a typed
// result object.
func parseResult(raw json.RawMessage) life.Result {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return life.Result{}
	}
	if raw[0] == '{' {
		var r life.Result
		_ = json.Unmarshal(raw, &r)
		return r
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return life.Result{}
	}
	switch {
	case s == "ready":
		return life.Result{Outcome: life.BootReady}
	case s == "interrupted":
		return life.Result{Outcome: life.BootInterrupted}
	case strings.HasPrefix(s, "failed"):
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "failed"), ":"))
		name, _, _ := strings.Cut(rest, " ")
		return life.Result{Outcome: life.BootFailed, Process: name, Reason: rest}
	}
	return life.Result{Outcome: life.Outcome(s)}
}

// BootFromStartup turns a memory.json startup into what the waterfall
// draws. Recorded spans are used as they are. A startup recorded before
// spans existed has only each instance's time to ready and the critical
// path: the bars are then rebuilt from those, with start times taken from
// insts (memory.json's instance records, which describe the latest boot)
// where they fall inside this boot, else inferred along the critical
// path.
func BootFromStartup(st *state.Startup, insts []*state.Instance) Boot {
	var sj startupJSON
	if data, err := json.Marshal(st); err == nil {
		_ = json.Unmarshal(data, &sj)
	}
	b := Boot{
		At:           sj.At,
		Total:        time.Duration(sj.BootMS) * time.Millisecond,
		Result:       parseResult(sj.Result),
		CriticalPath: sj.CriticalPath,
	}
	if len(sj.Spans) > 0 {
		b.Spans = sj.Spans
		return b
	}
	b.Estimated = true
	b.Spans = estimateSpans(sj, b.Result, insts)
	return b
}

func estimateSpans(sj startupJSON, res life.Result, insts []*state.Instance) []life.Span {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	end := sj.At.Add(ms(sj.BootMS) + time.Minute)
	byName := map[string]*state.Instance{}
	var names []string
	for _, in := range insts {
		byName[in.Name] = in
		names = append(names, in.Name)
	}
	if len(names) == 0 {
		for n := range sj.ReadyMS {
			names = append(names, n)
		}
		if res.Process != "" && sj.ReadyMS[res.Process] == 0 {
			names = append(names, res.Process)
		}
	}
	// Along the critical path each instance started when the one before
	// it was ready: the best guess where no start time was kept.
	pathStart := map[string]time.Duration{}
	var at time.Duration
	for _, n := range sj.CriticalPath {
		pathStart[n] = at
		at += ms(sj.ReadyMS[n])
	}
	spans := make([]life.Span, 0, len(names))
	for _, n := range names {
		sp := life.Span{Name: n, Waited: pathStart[n]}
		in := byName[n]
		if in != nil {
			sp.Oneshot, sp.Optional = in.Oneshot, in.Optional
			if in.StartedAt != nil && !in.StartedAt.Before(sj.At) && in.StartedAt.Before(end) {
				sp.Waited = in.StartedAt.Sub(sj.At)
			}
		}
		base, _, _ := strings.Cut(n, ".")
		readyMS, ready := sj.ReadyMS[n]
		switch {
		case ready:
			sp.Took, sp.State = ms(readyMS), life.Ready
			if sp.Oneshot {
				sp.State = life.Exited
			}
		case res.Outcome == life.BootFailed && (res.Process == n || res.Process == base):
			sp.State, sp.Reason = life.Failed, res.Reason
			if in != nil && in.Health != nil && !in.Health.OK {
				sp.Reason = in.Health.Message
			}
			if in != nil && in.StartedAt != nil && in.ReadyAt == nil && sp.Waited < ms(sj.BootMS) {
				sp.Took = ms(sj.BootMS) - sp.Waited
			}
		case res.Outcome == life.BootFailed || in == nil || in.StartedAt == nil || in.StartedAt.Before(sj.At):
			sp.State = life.Skipped
			if res.Outcome == life.BootFailed {
				sp.Reason = "not started: " + res.Process + " failed"
			}
			if in != nil && in.StartedAt != nil && in.StartedAt.Before(sj.At) {
				// Kept from an earlier boot (up --detach run again).
				sp.State, sp.Reason = life.Ready, "kept from an earlier boot"
			}
		default:
			sp.State = life.State(in.State)
		}
		spans = append(spans, sp)
	}
	// Start order, as the waterfall reads top to bottom, what never
	// started last; equal starts keep the Procfile's order.
	sort.SliceStable(spans, func(i, j int) bool {
		si, sj := spans[i].State == life.Skipped, spans[j].State == life.Skipped
		if si != sj {
			return sj
		}
		return spans[i].Waited < spans[j].Waited
	})
	return spans
}

// Trend is the total boot time of the startups before the last one (or
// before index upto when upto >= 0), oldest first: the waterfall's
// small trend. Boots that did not come up are left out: their totals
// measure a failure, not a boot.
func Trend(sts []*state.Startup, upto int) []time.Duration {
	if upto < 0 || upto > len(sts) {
		upto = len(sts)
	}
	var out []time.Duration
	for _, st := range sts[:upto] {
		var sj startupJSON
		if data, err := json.Marshal(st); err == nil && json.Unmarshal(data, &sj) == nil {
			if parseResult(sj.Result).Outcome == life.BootReady {
				out = append(out, time.Duration(sj.BootMS)*time.Millisecond)
			}
		}
	}
	return out
}
