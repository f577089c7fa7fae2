package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
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
	dir     *Dir
	f       *os.File
	size    int64
	buf     []byte
	pending bool
}

// logDelay gathers the lines of a burst into one write; a supervisor
// killed meanwhile loses at most that much of its log.
const logDelay = 20 * time.Millisecond

// OpenLog opens hiverun.log for appending, refusing a symlink.
func (d *Dir) OpenLog() (*Log, error) {
	l := &Log{dir: d}
	return l, l.open()
}

func (l *Log) open() error {
	p := filepath.Join(l.dir.Path, logName)
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if err := os.Remove(p); err != nil {
			return err
		}
		l.dir.Warnings = append(l.dir.Warnings, fmt.Sprintf("%s was a symlink: removed it (not its target)", p))
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	if fi, err := f.Stat(); err == nil {
		l.size = fi.Size()
		if fi.Mode().Perm() != 0o600 {
			_ = f.Chmod(0o600)
		}
	}
	l.f = f
	return nil
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
	if l.size+int64(len(l.buf)+len(line)) > maxLog {
		l.flushLocked()
		l.rotate()
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
	n, _ := l.f.Write(l.buf)
	l.size += int64(n)
	l.buf = l.buf[:0]
}

func (l *Log) rotate() {
	p := filepath.Join(l.dir.Path, logName)
	l.f.Close()
	l.f = nil
	if err := os.Rename(p, p+".1"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return
	}
	_ = l.open()
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
		l.f.Close()
		l.f = nil
	}
}
