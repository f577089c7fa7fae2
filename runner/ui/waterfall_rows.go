package ui

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/hiverun/hiverun/runner/life"
)

// pathStep is where a critical-path row's bar starts and ends.
type pathStep struct{ x0, x1, y float64 }

// rows draws one row per instance, then joins the steps of the critical
// path: the waits it explains.
func (d *wfDraw) rows() {
	var path []pathStep
	for i, s := range d.b.Spans {
		if step, crit := d.row(d.top+i*wfRowH, s); crit {
			path = append(path, step)
		}
	}
	sort.Slice(path, func(i, j int) bool { return path[i].x0 < path[j].x0 })
	for i := 1; i < len(path); i++ {
		a, b := path[i-1], path[i]
		d.p(`<path class="path" d="M%.1f %.1f L%.1f %.1f"/>`+"\n", a.x1, a.y, b.x0, b.y)
	}
}

// row draws one instance at height y: label, bar, check tries and the
// reason it failed or was skipped.
func (d *wfDraw) row(y int, s life.Span) (pathStep, bool) {
	_, crit := d.critical[s.Name]
	d.p(`<g class="%s" data-name="%s">`+"\n", strings.Join(rowClasses(s, crit), " "), esc(s.Name))
	d.p("<title>%s</title>\n", esc(spanTip(s, crit)))
	if crit {
		d.p(`<rect class="band" x="%d" y="%d" width="%d" height="%d"/>`+"\n", wfMargin, y, d.labelW+wfChartW, wfRowH)
	}
	name := s.Name
	if s.Oneshot {
		name = "◆ " + name
	}
	if s.Optional {
		name += " (opt)"
	}
	d.p(`<text class="label" x="%d" y="%d">%s</text>`+"\n", wfMargin+4, y+13, esc(truncate(name, wfMaxLabel+6)))
	by := float64(y + (wfRowH-wfBarH)/2)
	xs, xr := d.x(s.Waited), d.x(s.Waited+s.Took)
	d.bar(s, by, xs, xr)
	for j, t := range s.Tries {
		class := "try"
		if j == len(s.Tries)-1 && s.Reason != "" && s.State != life.Skipped {
			class = "try last"
		}
		tx := d.x(s.Waited + t)
		d.p(`<line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", class, tx, by-1, tx, by+wfBarH+1)
	}
	if crit {
		d.p(`<rect class="mark" x="%.1f" y="%.1f" width="%.1f" height="%d"/>`+"\n", xs-1, by-1, math.Max(2, xr-xs)+2, wfBarH+2)
	}
	if note := rowNote(s); note != "" {
		d.p(`<text class="why" x="%d" y="%d">%s</text>`+"\n", wfMargin+d.labelW+wfChartW+8, y+13, esc(truncate(note, 44)))
	}
	d.p("</g>\n")
	return pathStep{xs, xr, by + wfBarH/2}, crit
}

func rowClasses(s life.Span, crit bool) []string {
	classes := []string{"row", "state-" + string(s.State)}
	if crit {
		classes = append(classes, "critical")
	}
	if s.Oneshot {
		classes = append(classes, "oneshot")
	}
	if s.State == life.Skipped {
		classes = append(classes, "skipped-row")
	}
	return classes
}

// bar is the row's bar: waiting for dependencies, then starting, then
// ready (or the failure, or the dashed outline of a skip).
func (d *wfDraw) bar(s life.Span, by, xs, xr float64) {
	if s.Waited > 0 {
		d.p(`<rect class="waiting" x="%.1f" y="%.1f" width="%.1f" height="%d"/>`+"\n", d.x(0), by, xs-d.x(0), wfBarH)
	}
	switch s.State {
	case life.Skipped:
		end := d.x(d.span)
		d.p(`<rect class="skipped" x="%.1f" y="%.1f" width="%.1f" height="%d"/>`+"\n", xs, by+0.5, math.Max(2, end-xs), wfBarH-1)
		return
	case life.Failed:
		d.p(`<rect class="failed" x="%.1f" y="%.1f" width="%.1f" height="%d"/>`+"\n", xs, by, math.Max(2, xr-xs), wfBarH)
		return
	}
	run := "starting"
	if s.Oneshot {
		run = "starting run"
	}
	d.p(`<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%d"/>`+"\n", run, xs, by, math.Max(1, xr-xs), wfBarH)
	if s.State.Up() || s.State == life.Exited || s.State == life.Unhealthy {
		end := d.x(max(d.b.Total, s.Waited+s.Took))
		if s.Oneshot {
			// A oneshot is done, not running: a short cap, not a bar.
			end = xr + 6
		}
		d.p(`<rect class="ready" x="%.1f" y="%.1f" width="%.1f" height="%d"/>`+"\n", xr, by, math.Max(2, end-xr), wfBarH)
	}
}

// rowNote is the text right of a failed or skipped row.
func rowNote(s life.Span) string {
	note := ""
	switch s.State {
	case life.Failed:
		note = "failed"
	case life.Skipped:
		note = "skipped"
	}
	if s.Reason != "" && note != "" {
		note += ": " + s.Reason
	}
	return note
}

// spanTip is a row's tooltip: everything known about it, whole.
func spanTip(s life.Span, crit bool) string {
	var b strings.Builder
	b.WriteString(s.Name)
	if s.Oneshot {
		b.WriteString(" (oneshot)")
	}
	if s.Optional {
		b.WriteString(" (optional)")
	}
	fmt.Fprintf(&b, ": %s; waited %s, then %s", s.State, fmtDur(s.Waited), fmtDur(s.Took))
	switch s.State {
	case life.Ready, life.Unhealthy:
		b.WriteString(" to ready")
	case life.Exited:
		b.WriteString(" to finish")
	case life.Failed:
		b.WriteString(" to fail")
	}
	if n := len(s.Tries); n > 0 {
		fmt.Fprintf(&b, "; %d check tries", n)
	}
	if s.Reason != "" {
		if s.State == life.Failed || s.State == life.Skipped {
			b.WriteString("; why: ")
		} else {
			b.WriteString("; last failing answer: ")
		}
		b.WriteString(s.Reason)
	}
	if crit {
		b.WriteString("; on the critical path")
	}
	return b.String()
}
