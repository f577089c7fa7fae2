package runner

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/hiverun/hiverun/runner/logs"
	"github.com/hiverun/hiverun/runner/rotate"
)

// LogTimeFormat starts every line of a process log file; runner/logs,
// which reads them, owns the format.
const LogTimeFormat = logs.TimeFormat

// SelfLogName is the log of hiverun's own lines among the process logs.
const SelfLogName = logs.SelfName

// logFile is one instance's output file in a detached stack: every line
// stamped with its time, capped in size by rotating to NAME.N.log.1.
type logFile struct {
	mu  sync.Mutex
	f   *rotate.File
	buf []byte
}

func openLogFile(dir, name string, max int64) (*logFile, error) {
	f, _, err := rotate.Open(filepath.Join(dir, name+".log"), max)
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	return &logFile{f: f}, nil
}

// lines appends whole lines in one write.
func (l *logFile) lines(at time.Time, lines [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	stamp := at.Format(LogTimeFormat) + " "
	b := l.buf[:0]
	for _, line := range lines {
		b = append(b, stamp...)
		b = append(b, line...)
		b = append(b, '\n')
	}
	_, _ = l.f.Write(b)
	if cap(b) <= 4*batchBytes {
		l.buf = b
	}
}

func (l *logFile) close() { _ = l.f.Close() }
