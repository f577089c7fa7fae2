package runner

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fatih/color"
	"github.com/hiverun/hiverun/runner/format"
)

// maxLineLen bounds one line held in memory: a process writing without
// newlines forever must not exhaust hiverun's memory. Past it the line is
// emitted in pieces.
const maxLineLen = 16 << 20

// batchBytes is how much complete output a reader collects before it
// writes, when more is already waiting in its buffer.
const batchBytes = 64 << 10

// output serialises every line written to the user's sink: whole lines are
// queued in order under one mutex, so they are never torn or interleaved,
// and written by one goroutine at a time, which takes everything queued
// meanwhile into its next Write: 100 processes starting at once made 100
// writes (and woke whoever reads 100 times), now a few. A slow sink slows
// the producers instead of losing lines. It also owns the live "waiting"
// line on a terminal.
type output struct {
	mu         sync.Mutex
	w          io.Writer
	color      bool
	timestamps bool
	now        func() time.Time
	width      int
	live       string
	err        error

	queued  []byte     // to be written, in order
	spare   []byte     // the last written buffer, reused
	writing bool       // a goroutine is writing: it takes queued too
	drained *sync.Cond // on mu: queued was taken, or writing ended
	// closed is closed when a write finds that nobody reads the output
	// any more (`hiverun | head` once head has gone): the stack stops.
	closed chan struct{}
}

type prefix struct {
	name  string // padded
	color *color.Color
}

func newOutput(w io.Writer, useColor, timestamps bool, now func() time.Time, width int) *output {
	if width < len("hiverun") {
		width = len("hiverun")
	}
	o := &output{w: w, color: useColor, timestamps: timestamps, now: now, width: width, closed: make(chan struct{})}
	o.drained = sync.NewCond(&o.mu)
	return o
}

func (o *output) prefixFor(name string, idx int) *prefix {
	// A process added to a running stack may be wider than the rest.
	p := &prefix{name: format.Pad(name, o.width)}
	if o.color {
		p.color = format.Color(idx)
	}
	return p
}

// head renders "HH:MM:SS name | " for one batch.
func (o *output) head(p *prefix) string {
	var at time.Time
	if o.timestamps {
		at = o.now()
	}
	return format.Head(p.name, at, p.color)
}

// lines writes whole lines (without their newlines), together.
func (o *output) lines(p *prefix, lines [][]byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.room()
	head := o.head(p)
	b := o.queued
	if o.live != "" {
		b = append(b, "\r\x1b[K"...)
	}
	for _, l := range lines {
		b = append(b, head...)
		b = append(b, l...)
		b = append(b, '\n')
	}
	if o.live != "" {
		b = append(b, o.live...)
	}
	o.queued = b
	o.flush()
}

// event writes one of hiverun's own lines.
func (o *output) event(p *prefix, msg string) {
	parts := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	ls := make([][]byte, len(parts))
	for i, s := range parts {
		ls[i] = []byte(s)
	}
	o.lines(p, ls)
}

// setLive replaces the live line ("" removes it).
func (o *output) setLive(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s == o.live {
		return
	}
	o.room()
	o.queued = append(append(o.queued, "\r\x1b[K"...), s...)
	o.live = s
	o.flush()
}

// maxQueued is how much may wait while a write is under way before the
// producers wait too.
const maxQueued = 4 * batchBytes

// room waits, with mu held, until the queue has room.
func (o *output) room() {
	for o.writing && len(o.queued) >= maxQueued {
		o.drained.Wait()
	}
}

// flush writes what is queued, with mu held, unless a goroutine is writing
// already: that one takes it with its next Write.
func (o *output) flush() {
	if o.writing {
		return
	}
	o.writing = true
	for len(o.queued) > 0 && o.err == nil {
		b := o.queued
		o.queued, o.spare = o.spare[:0], nil
		o.mu.Unlock()
		_, err := o.w.Write(b)
		o.mu.Lock()
		if cap(b) <= maxQueued {
			o.spare = b[:0]
		}
		if err != nil {
			// A closed terminal must not stop the stack from being
			// supervised and stopped; output is dropped from here on.
			o.err = err
			if errors.Is(err, syscall.EPIPE) {
				close(o.closed)
			}
		}
		o.drained.Broadcast()
	}
	o.queued = o.queued[:0]
	o.writing = false
	o.drained.Broadcast()
}

// sync waits until everything queued has been written (or dropped).
func (o *output) sync() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.writing {
		o.drained.Wait()
	}
}

// tail keeps the last lines of a process for failure reports.
type tail struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func (t *tail) add(lines [][]byte) {
	if len(lines) > t.max {
		lines = lines[len(lines)-t.max:]
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range lines {
		if len(l) > 512 {
			l = append(l[:509:509], "..."...)
		}
		t.lines = append(t.lines, string(l))
	}
	if len(t.lines) > t.max {
		t.lines = append(t.lines[:0:0], t.lines[len(t.lines)-t.max:]...)
	}
}

func (t *tail) get() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines...)
}

// pump reads r line by line and hands whole lines to emit. It batches the
// complete lines already buffered, never waits for more to arrive (no
// timer flushes that tear lines) and emits an unterminated last line at EOF.
func pump(r io.Reader, emit func([][]byte)) {
	br := bufio.NewReaderSize(r, batchBytes)
	var batch [][]byte
	var long []byte
	size := 0
	flush := func() {
		if len(batch) > 0 {
			emit(batch)
		}
		batch, size = batch[:0], 0
	}
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: keep it aside, whole. The
			// batch refers to the buffer, which the next read reuses.
			flush()
			long = append(long, line...)
			if len(long) >= maxLineLen {
				emit([][]byte{long})
				long = nil
			}
			continue
		}
		if len(long) > 0 {
			line = append(long, line...)
			long = nil
		}
		if len(line) > 0 {
			line = bytes.TrimSuffix(line, []byte("\n"))
			line = bytes.TrimSuffix(line, []byte("\r"))
			batch = append(batch, line)
			size += len(line)
		}
		if err != nil {
			flush()
			return
		}
		// Emit when the next read would refill (and so overwrite) the
		// buffer, or when the batch is big enough.
		n := br.Buffered()
		if n == 0 || size >= batchBytes {
			flush()
			continue
		}
		if peek, _ := br.Peek(n); bytes.IndexByte(peek, '\n') < 0 {
			flush()
		}
	}
}
