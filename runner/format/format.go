// Package format is how a line of output is prefixed and coloured, shared
// by the foreground stack and `hiverun logs`, so that a process has the
// same colour and the same prefix in both.
package format

import (
	"strings"
	"time"

	"github.com/fatih/color"
)

// palette gives each process its own colour, in Procfile order.
var palette = []color.Attribute{
	color.FgCyan, color.FgYellow, color.FgGreen, color.FgMagenta, color.FgBlue,
	color.FgHiCyan, color.FgHiYellow, color.FgHiGreen, color.FgHiMagenta, color.FgHiBlue, color.FgRed,
}

// Color is the colour of the process at idx in the Procfile; a negative
// idx is hiverun's own lines (bold). fatih/color decides from os.Stdout
// whether to colour; the sink may be anything, so the caller's choice is
// applied explicitly.
func Color(idx int) *color.Color {
	c := color.New(color.Bold)
	if idx >= 0 {
		c = color.New(palette[idx%len(palette)])
	}
	c.EnableColor()
	return c
}

// Pad is name padded to width, so that the bars line up.
func Pad(name string, width int) string {
	return name + strings.Repeat(" ", max(0, width-len(name)))
}

// Head is "HH:MM:SS name | " (the time only when at is not zero), in c
// when c is not nil.
func Head(padded string, at time.Time, c *color.Color) string {
	h := padded + " |"
	if !at.IsZero() {
		h = at.Format("15:04:05") + " " + h
	}
	if c != nil {
		h = c.Sprint(h)
	}
	return h + " "
}
