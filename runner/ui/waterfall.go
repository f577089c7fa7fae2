package ui

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hiverun/hiverun/runner/life"
)

// The waterfall's geometry, in px at 100% zoom. A row is tall enough
// for 11px text, so 100 processes stay legible in about 1,900px.
const (
	wfRowH     = 18
	wfBarH     = 12
	wfChartW   = 760
	wfTrendW   = 220
	wfHeaderH  = 92
	wfAxisH    = 22
	wfFooterH  = 40
	wfMargin   = 16
	wfNoteW    = 260 // right of the chart: reasons of failed and skipped rows
	wfMaxLabel = 36  // characters of a name shown; the tooltip has it whole
)

// waterfallCSS styles the SVG from inside the file: a standalone SVG
// carries no external stylesheet and no font but the reader's own
// sans-serif.
const waterfallCSS = `
text{font-family:sans-serif;font-size:11px;fill:#1f2933}
.title{font-size:15px;font-weight:bold}
.sub{fill:#52606d}
.grid{stroke:#e4e7eb;stroke-width:1}
.axis text{fill:#52606d;font-size:10px}
.waiting{fill:#d9e2ec}
.starting{fill:#f0b429}
.ready{fill:#8bd17c}
.oneshot .ready{fill:#9fb3ff}
.oneshot .run{fill:#4c6ef5}
.failed{fill:#e12d39}
.skipped{fill:none;stroke:#9aa5b1;stroke-dasharray:3 2}
.try{stroke:#7c5e10;stroke-width:1}
.try.last{stroke:#e12d39;stroke-width:2}
.band{fill:#f3e8ff}
.critical .label{font-weight:bold;fill:#6b21a8}
.critical .mark{fill:none;stroke:#7e22ce;stroke-width:2}
.path{fill:none;stroke:#7e22ce;stroke-width:1.5;stroke-dasharray:4 2}
.why{fill:#9b1c1c}
.skipped-row .why{fill:#616e7c}
.trend rect{fill:#bcccdc}
.trend rect.now{fill:#7e22ce}
.legend text{font-size:10px}
`

// Waterfall draws one boot as an SVG waterfall, in the manner of
// systemd-analyze plot: one row per instance in start order, each bar
// split into waiting for dependencies, starting (check tries as ticks)
// and ready; failed and skipped instances with their reason; the
// critical path marked; a time axis; and beside it trend, the total boot
// times of the boots before this one (oldest first). It uses nothing
// outside the file: no script, font or image.
func Waterfall(w io.Writer, b Boot, trend []time.Duration) error {
	bw := bufio.NewWriter(w)
	wf := &wfDraw{w: bw, b: b}
	wf.layout()
	wf.header(trend)
	wf.axis()
	wf.rows()
	wf.footer()
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

type wfDraw struct {
	w        *bufio.Writer
	b        Boot
	labelW   int
	scale    float64 // px per second
	span     time.Duration
	top      int // y of the first row
	width    int
	height   int
	critical map[string]int // name -> position on the critical path
}

func (d *wfDraw) p(format string, a ...any) { fmt.Fprintf(d.w, format, a...) }

// esc makes any text safe as SVG character data or an attribute value.
func esc(s string) string { return html.EscapeString(s) }

func (d *wfDraw) layout() {
	longest := 10
	for _, s := range d.b.Spans {
		longest = max(longest, min(len([]rune(s.Name)), wfMaxLabel))
	}
	// 6.5px per character of 11px sans-serif, plus room for the oneshot mark.
	d.labelW = int(float64(longest)*6.5) + 28
	d.span = d.b.Total
	for _, s := range d.b.Spans {
		d.span = max(d.span, s.Waited+s.Took)
		for _, t := range s.Tries {
			d.span = max(d.span, s.Waited+t)
		}
	}
	if d.span <= 0 {
		d.span = time.Millisecond
	}
	// A little air after the last ready, so the last bar is seen to end.
	d.span = time.Duration(float64(d.span) * 1.04)
	d.scale = float64(wfChartW) / d.span.Seconds()
	d.top = wfHeaderH + wfAxisH
	d.width = wfMargin + d.labelW + wfChartW + wfNoteW + wfMargin
	d.height = d.top + max(1, len(d.b.Spans))*wfRowH + wfFooterH
	d.critical = map[string]int{}
	for i, n := range d.b.CriticalPath {
		d.critical[n] = i
	}
	d.p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	d.p(`<svg xmlns="http://www.w3.org/2000/svg" class="hiverun-waterfall" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n",
		d.width, d.height, d.width, d.height)
	d.p("<title>%s</title>\n", esc(d.headline()))
	d.p("<style>%s</style>\n", waterfallCSS)
	d.p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
}

// x is the chart position of t after the boot's start.
func (d *wfDraw) x(t time.Duration) float64 {
	return float64(wfMargin+d.labelW) + t.Seconds()*d.scale
}

func (d *wfDraw) headline() string {
	var b strings.Builder
	b.WriteString("hiverun boot")
	if !d.b.At.IsZero() {
		b.WriteString(" of " + d.b.At.Local().Format("2006-01-02 15:04:05"))
	}
	switch d.b.Result.Outcome {
	case life.BootReady:
		fmt.Fprintf(&b, ": ready in %s", fmtDur(d.b.Total))
	case life.BootFailed:
		b.WriteString(": failed")
		if d.b.Result.Process != "" {
			b.WriteString(" (" + d.b.Result.Process + ")")
		}
	case life.BootInterrupted:
		b.WriteString(": interrupted")
	}
	return b.String()
}

func (d *wfDraw) header(trend []time.Duration) {
	d.p(`<text class="title" x="%d" y="24">%s</text>`+"\n", wfMargin, esc(d.headline()))
	var sub []string
	sub = append(sub, fmt.Sprintf("%d processes", len(d.b.Spans)))
	if len(d.b.CriticalPath) > 0 {
		sub = append(sub, "critical path: "+strings.Join(d.b.CriticalPath, " → "))
	}
	d.p(`<text class="sub" x="%d" y="42">%s</text>`+"\n", wfMargin, esc(truncate(strings.Join(sub, " · "), 130)))
	// Legend.
	d.p(`<g class="legend" transform="translate(%d,56)">`+"\n", wfMargin)
	items := []struct{ class, label string }{
		{"waiting", "waiting for dependencies"}, {"starting", "starting until ready"}, {"ready", "ready"},
		{"failed", "failed"}, {"skipped", "skipped"},
	}
	x := 0
	for _, it := range items {
		d.p(`<rect class="%s" x="%d" y="0" width="14" height="10"/><text x="%d" y="9">%s</text>`+"\n", it.class, x, x+18, it.label)
		x += 24 + int(float64(len(it.label))*5.6)
	}
	d.p(`<line class="try" x1="%d" y1="0" x2="%d" y2="10"/><text x="%d" y="9">check try</text>`+"\n", x+4, x+4, x+12)
	x += 70
	d.p(`<rect class="mark" x="%d" y="0" width="14" height="10" style="fill:none;stroke:#7e22ce;stroke-width:2"/><text x="%d" y="9" style="fill:#6b21a8;font-weight:bold">critical path</text>`+"\n", x, x+18)
	x += 90
	d.p(`<text x="%d" y="9">◆ oneshot</text>`+"\n", x)
	d.p("</g>\n")
	d.trend(trend)
}

// trend draws the total boot times of earlier boots as small bars, this
// boot last and highlighted.
func (d *wfDraw) trend(trend []time.Duration) {
	const h = 40
	x0 := d.width - wfMargin - wfTrendW
	all := append(append([]time.Duration(nil), trend...), d.b.Total)
	top := time.Duration(1)
	for _, t := range all {
		top = max(top, t)
	}
	d.p(`<g class="trend" transform="translate(%d,10)">`+"\n", x0)
	label := "first recorded boot"
	if len(trend) > 0 {
		s := append([]time.Duration(nil), trend...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		label = fmt.Sprintf("%d earlier boots: median %s", len(trend), fmtDur(s[(len(s)-1)/2]))
	}
	d.p(`<text class="sub" x="0" y="10">%s</text>`+"\n", esc(label))
	bw := math.Min(12, float64(wfTrendW)/float64(len(all)))
	for i, t := range all {
		bh := math.Max(1, float64(h)*t.Seconds()/top.Seconds())
		class := ""
		if i == len(all)-1 {
			class = ` class="now"`
		}
		d.p(`<rect%s x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`+"\n",
			class, float64(i)*bw, 16+h-bh, math.Max(1, bw-2), bh, esc(fmtDur(t)))
	}
	d.p(`<text class="sub" x="0" y="%d">max %s · this boot %s</text>`+"\n", 16+h+12, esc(fmtDur(top)), esc(fmtDur(d.b.Total)))
	d.p("</g>\n")
}

// niceStep is a 1, 2 or 5 step giving about ten ticks over span.
func niceStep(span time.Duration) time.Duration {
	raw := span.Seconds() / 10
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return max(time.Duration(m*mag*float64(time.Second)), time.Microsecond)
		}
	}
	return time.Second
}

func (d *wfDraw) axis() {
	step := niceStep(d.span)
	bottom := d.top + max(1, len(d.b.Spans))*wfRowH
	d.p(`<g class="axis">` + "\n")
	for t := time.Duration(0); t <= d.span; t += step {
		x := d.x(t)
		d.p(`<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`, x, d.top-4, x, bottom)
		d.p(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, d.top-8, esc(fmtDur(t)))
	}
	d.p("</g>\n")
}

func (d *wfDraw) footer() {
	y := d.top + max(1, len(d.b.Spans))*wfRowH + 24
	var parts []string
	if len(d.b.Spans) == 0 {
		parts = append(parts, "no process in this boot")
	}
	if d.b.Estimated {
		parts = append(parts, "recorded without spans: bars rebuilt from time to ready; start times off the critical path may be inferred")
	}
	if d.b.Result.Outcome == life.BootFailed && d.b.Result.Reason != "" {
		parts = append(parts, "failed: "+d.b.Result.Reason)
	}
	if len(parts) > 0 {
		d.p(`<text class="sub" x="%d" y="%d">%s</text>`+"\n", wfMargin, y, esc(truncate(strings.Join(parts, " · "), 180)))
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fmtDur is a duration as a person reads it on an axis: 250ms, 1.5s, 2m05s.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", d.Seconds()), "0"), ".") + "s"
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	m := int(d.Minutes())
	return fmt.Sprintf("%dm%02ds", m, int(d.Seconds())-60*m)
}
