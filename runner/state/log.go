package state

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/hiverun/hiverun/runner/rotate"
)

const (
	logName = "hiverun.log"
	// maxLog is where hiverun.log is rotated to hiverun.log.1.
	maxLog = 5 << 20
)

// Log appends hiverun's own events to hiverun.log:
// "[2024-01-15 10:30:45] [INFO] backend ready in 0.93s".
type Log struct {
	mu      sync.Mutex
	f       *rotate.File
	buf     []byte
	pending bool
}

// logDelay gathers the lines of a burst into one write; a supervisor
// killed meanwhile loses at most that much of its log.
const logDelay = 20 * time.Millisecond

// OpenLog opens hiverun.log for appending, refusing a symlink.
func (d *Dir) OpenLog() (*Log, error) {
	p := filepath.Join(d.Path, logName)
	f, replaced, err := rotate.Open(p, maxLog)
	if err != nil {
		return nil, err
	}
	if replaced {
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s was a symlink: removed it (not its target)", p))
	}
	return &Log{f: f}, nil
}

// Write appends one event. Errors are dropped: the log must never stop
// a stack from being supervised.
func (l *Log) Write(at time.Time, level, msg string) {
	if l == nil {
		return
	}
	line := fmt.Sprintf("[%s] [%s] %s\n", at.Format("2006-01-02 15:04:05"), level, msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	l.buf = append(l.buf, line...)
	if !l.pending {
		l.pending = true
		time.AfterFunc(logDelay, l.Flush)
	}
}

// Flush writes what is buffered.
func (l *Log) Flush() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *Log) flushLocked() {
	l.pending = false
	if l.f == nil || len(l.buf) == 0 {
		return
	}
	_, _ = l.f.Write(l.buf)
	l.buf = l.buf[:0]
}

// Close closes the log.
func (l *Log) Close() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}
