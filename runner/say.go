package runner

import (
	"fmt"
	"strings"

	"github.com/hiverun/hiverun/runner/life"
)

// hiverun's own lines: each goes to the screen (or, detached, hiverun's
// log among the process logs) and its first line to the journal.

// info writes one of hiverun's lines; any goroutine may call it.
func (r *run) info(format string, args ...any) {
	r.infoAt("INFO", format, args...)
}

func (r *run) infoAt(level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.log(level, msg)
	r.event(msg)
}

// event shows one of hiverun's lines, and keeps it with the process logs
// of a detached stack.
func (r *run) event(msg string) {
	if r.selfLog != nil {
		parts := strings.Split(strings.TrimRight(msg, "\n"), "\n")
		ls := make([][]byte, len(parts))
		for i, s := range parts {
			ls[i] = []byte(s)
		}
		r.selfLog.lines(r.opts.Now(), ls)
	}
	r.out.event(r.self, msg)
}

// say is info for the supervisor loop.
func (r *run) say(format string, args ...any) { r.infoAt("INFO", format, args...) }

func (r *run) sayAt(level, format string, args ...any) { r.infoAt(level, format, args...) }

// log sends the first line of a message to the journal: the log keeps one
// line per event, the screen shows the details.
func (r *run) log(level, msg string) {
	first, _, _ := strings.Cut(msg, "\n")
	r.opts.Journal.Record(life.Record{Kind: life.RecLog, At: r.opts.Now(), Level: level, Msg: first})
}

func (r *run) record(rec life.Record) {
	if rec.At.IsZero() {
		rec.At = r.opts.Now()
	}
	r.opts.Journal.Record(rec)
}
