package life

import (
	"time"

	"github.com/hiverun/hiverun/procfile"
)

// RecordKind says what happened.
type RecordKind int

// What the runner tells its journal.
const (
	RecStarted RecordKind = iota // PID, PGID
	RecReady                     // Took
	RecFailed                    // Msg; before ready
	RecSkipped                   // Msg
	RecExited                    // Code, Msg; after ready (a finished oneshot too)
	RecStopped                   // stopped by hiverun
	RecHealth                    // OK, Msg: a readiness check result worth keeping
	RecBoot                      // Boot
	RecLog                       // Level, Msg: one of hiverun's own lines
	RecState                     // State, Msg (why), Code: the instance's new state
	RecApplied                   // Instance: settings a reload applied without a restart
)

// Record is one thing that happened, for the journal to remember.
type Record struct {
	Kind     RecordKind
	At       time.Time
	Instance *procfile.Instance // nil for RecBoot and RecLog
	PID      int
	PGID     int
	Took     time.Duration
	Code     int
	OK       bool
	Level    string // INFO, WARN, ERROR
	Msg      string
	Boot     *BootRecord
	State    State // RecState

	// CreateTime is the started process's (proc.CreateTime) for
	// RecStarted, 0 when the runner could not tell it.
	CreateTime int64
}

// BootRecord is the outcome of one boot.
type BootRecord struct {
	Ready        map[string]time.Duration // per instance, time to ready
	Boot         time.Duration
	CriticalPath []string
	Result       Result
	// Spans is each instance's part of the boot, in start order.
	Spans []Span
}

// Journal remembers what the runner does (memory.json, pidfiles,
// hiverun.log). Record is called from many goroutines and must not block
// for long: the runner is waiting.
type Journal interface {
	Record(Record)
}

// Syncer is a journal that can write what it holds at once, before an
// answer is given that a reader will check against it.
type Syncer interface {
	Sync()
}

// NopJournal remembers nothing.
type NopJournal struct{}

// Record forgets r.
func (NopJournal) Record(Record) {}
