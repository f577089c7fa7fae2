package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hiverun/hiverun/runner/logs"
)

// LogTimeFormat starts every line of a process log file; runner/logs,
// which reads them, owns the format.
const LogTimeFormat = logs.TimeFormat

// SelfLogName is the log of hiverun's own lines among the process logs.
const SelfLogName = logs.SelfName

// logFile is one instance's output file in a detached stack: every line
// stamped with its time, capped in size by rotating to NAME.N.log.1.
type logFile struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	size int64
	buf  []byte
}

func openLogFile(dir, name string, max int64) (*logFile, error) {
	l := &logFile{path: filepath.Join(dir, name+".log"), max: max}
	return l, l.open()
}

func (l *logFile) open() error {
	if fi, err := os.Lstat(l.path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if err := os.Remove(l.path); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	fi, err := f.Stat()
	if err == nil {
		l.size = fi.Size()
	}
	l.f = f
	return nil
}

// lines appends whole lines in one write.
func (l *logFile) lines(at time.Time, lines [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	stamp := at.Format(LogTimeFormat) + " "
	b := l.buf[:0]
	for _, line := range lines {
		b = append(b, stamp...)
		b = append(b, line...)
		b = append(b, '\n')
	}
	if l.max > 0 && l.size+int64(len(b)) > l.max && l.size > 0 {
		l.f.Close()
		_ = os.Rename(l.path, l.path+".1")
		if err := l.open(); err != nil {
			l.f = nil
			return
		}
		l.size = 0
	}
	n, _ := l.f.Write(b)
	l.size += int64(n)
	if cap(b) <= 4*batchBytes {
		l.buf = b
	}
}

func (l *logFile) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
