package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
)

// Version is the memory.json schema version this build writes and reads.
const Version = 1

// MaxStartups is how many past startups memory.json keeps.
const MaxStartups = 50

const memoryName = "memory.json"

// Memory is memory.json.
type Memory struct {
	Version int `json:"version"`
	// StackID marks every process this folder's supervisors start (in
	// their environment, as HIVERUN_STACK), so that what a killed
	// supervisor started but had not yet recorded is still found.
	StackID    string      `json:"stack_id"`
	Supervisor *Supervisor `json:"supervisor,omitempty"`
	Instances  []*Instance `json:"instances"`
	Startups   []*Startup  `json:"startups"`
	Totals     Totals      `json:"totals"`
}

// Supervisor is the hiverun process that owns the stack.
type Supervisor struct {
	PID        int       `json:"pid"`
	CreateTime int64     `json:"create_time"` // ms since the epoch (proc.CreateTime)
	StartedAt  time.Time `json:"started_at"`
	Procfile   string    `json:"procfile"`
	Root       string    `json:"root"`
	Selection  []string  `json:"selection"`
}

// Health is the last readiness check result.
type Health struct {
	OK      bool      `json:"ok"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// Instance is one process instance that hiverun started.
type Instance struct {
	Name    string `json:"name"`    // web.1
	Process string `json:"process"` // web
	// Index is its process's place in the Procfile, which gives it its
	// colour: `hiverun logs` shows it in the colour the foreground did.
	Index      int    `json:"index,omitempty"`
	PID        int    `json:"pid"`
	PGID       int    `json:"pgid"`
	CreateTime int64  `json:"create_time"`
	Command    string `json:"command"`
	Port       int    `json:"port"`
	PortOwned  bool   `json:"port_owned"`
	Optional   bool   `json:"optional"`
	Oneshot    bool   `json:"oneshot"`
	// State is a life.State; files of earlier versions are read through
	// life.Parse, so their words ("checking") become today's.
	State life.State `json:"state"`
	// Reason is why the instance is in its state (failed, skipped,
	// exited, backoff), as the runner said it.
	Reason   string  `json:"reason,omitempty"`
	Health   *Health `json:"health,omitempty"`
	Restarts int     `json:"restarts"`
	// Fingerprint sums up what the instance was started with (command,
	// environment, folder, port, check): an unchanged one is kept by
	// `up --detach` run again.
	Fingerprint string     `json:"fingerprint"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	ReadyAt     *time.Time `json:"ready_at,omitempty"`
	ExitCode    *int       `json:"exit_code,omitempty"`

	// Settings are what it was started with, compared key by key on a
	// rerun; a record written before they were kept has only Fingerprint.
	Settings *procfile.Settings `json:"settings,omitempty"`
}

// Running tells whether the record describes a process that should be
// alive (as opposed to one that ended or never started).
func (in *Instance) Running() bool { return in.State.Running() && in.PID > 0 }

// Ours tells whether the recorded process still runs and is provably the
// one recorded: same pid, same create time.
func (in *Instance) Ours() bool { return proc.Ours(in.PID, in.CreateTime) }

// Startup is one boot of the stack.
type Startup struct {
	At           time.Time        `json:"at"`
	Selection    []string         `json:"selection"`
	ReadyMS      map[string]int64 `json:"ready_ms"` // per instance, time to ready
	BootMS       int64            `json:"boot_ms"`
	CriticalPath []string         `json:"critical_path"`
	Result       BootResult       `json:"result"`
	Reclaimed    int              `json:"reclaimed"`
	// Spans is each instance's part of the boot, for the waterfall.
	Spans []life.Span `json:"spans,omitempty"`
}

// BootResult is a startup's typed result, written as an object
// {outcome, process, reason}. Files of earlier versions hold it as text
// ("ready", "failed: NAME", "failed: NAME failed", "interrupted"), which
// it still reads.
type BootResult struct {
	life.Result
}

// UnmarshalJSON reads the object, or the text of earlier versions.
func (r *BootResult) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		return json.Unmarshal(data, &r.Result)
	}
	r.Result = parseResult(text)
	return nil
}

// parseResult reads a result as earlier versions wrote it. "failed: web"
// names the process; "failed: migrate failed" is the runner's reason,
// which starts with the process's name.
func parseResult(text string) life.Result {
	rest, failed := strings.CutPrefix(text, "failed: ")
	switch {
	case failed:
		name, _, more := strings.Cut(rest, " ")
		r := life.Result{Outcome: life.BootFailed, Process: name}
		if more {
			r.Reason = rest
		}
		return r
	case text == "failed":
		return life.Result{Outcome: life.BootFailed}
	}
	return life.Result{Outcome: life.Outcome(text)}
}

// String is the result as status, history and up have always shown it:
// "ready", "interrupted", "failed: NAME", or "failed: " and the runner's
// reason, which names the process.
func (r BootResult) String() string {
	if r.Outcome != life.BootFailed || r.Reason == "" {
		return r.Result.String()
	}
	if r.Process == "" || strings.HasPrefix(r.Reason, r.Process) {
		return "failed: " + r.Reason
	}
	return "failed: " + r.Process + ": " + r.Reason
}

// FailedProcess is the process a failed boot names, or "". Results
// without a process name it first in their reason ("api failed").
func (r BootResult) FailedProcess() string {
	if r.Outcome != life.BootFailed {
		return ""
	}
	if r.Process != "" {
		return r.Process
	}
	name, _, _ := strings.Cut(r.Reason, " ")
	return name
}

// Totals run over every startup, beyond the last 50 kept.
type Totals struct {
	Startups  int `json:"startups"`
	Ready     int `json:"ready"`
	Failed    int `json:"failed"`
	Reclaimed int `json:"reclaimed"`
}

// StackEnv is the environment variable that carries the stack id.
const StackEnv = "HIVERUN_STACK"

// LoadMemory reads memory.json. A missing file is an empty memory; a
// corrupt or truncated one, or one of another schema version, is moved
// aside with a warning and hiverun carries on from the pidfiles. The
// memory is nil exactly when the error is not: a file that cannot be read,
// or a corrupt one that cannot be moved aside.
func (d *Dir) LoadMemory() (*Memory, error) {
	empty := &Memory{Version: Version}
	data, err := d.ReadFile(memoryName)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return empty, nil
	case errors.Is(err, ErrSymlink):
		_ = d.Remove(memoryName)
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s was a symlink: removed it (not its target)", filepath.Join(d.Path, memoryName)))
		return empty, nil
	case err != nil:
		return nil, err
	}
	var m Memory
	if err := json.Unmarshal(data, &m); err != nil || m.Version != Version {
		why := "is not valid JSON"
		if err == nil {
			why = fmt.Sprintf("has schema version %d, this hiverun reads %d", m.Version, Version)
		}
		aside := fmt.Sprintf("%s.corrupt-%d", memoryName, time.Now().Unix())
		if rerr := os.Rename(filepath.Join(d.Path, memoryName), filepath.Join(d.Path, aside)); rerr != nil {
			return nil, fmt.Errorf("%s %s and could not be moved aside: %w", filepath.Join(d.Path, memoryName), why, rerr)
		}
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s %s: moved aside to %s; carrying on from the pidfiles",
			filepath.Join(d.Path, memoryName), why, aside))
		return empty, nil
	}
	for _, in := range m.Instances {
		// A word this version does not know is kept as it is: it shows
		// in status and counts as not running.
		if st := life.Parse(string(in.State)); st != "" {
			in.State = st
		}
	}
	return &m, nil
}

// SaveMemory writes memory.json atomically (temp file, rename), without
// fsync: a rename is whole after a crash of hiverun itself, and fsync only
// protects against a crash of the machine, after which no process of the
// stack is left to find. It cost 5-10 ms a write here, the first of them
// on the path of every start.
func (d *Dir) SaveMemory(m *Memory) error {
	m.Version = Version
	if len(m.Startups) > MaxStartups {
		m.Startups = m.Startups[len(m.Startups)-MaxStartups:]
	}
	// Compact: indenting tripled the time of a write (0.9 ms against
	// 0.3 ms for 100 processes), and the boot's last write is on the path
	// of its ready line. `jq . memory.json` reads it; `status --json` and
	// `history --json` are the interfaces meant for people and tools.
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return d.WriteFile(memoryName, append(data, '\n'), false)
}

// Lookup returns the record of instance name, or nil.
func (m *Memory) Lookup(name string) *Instance {
	for _, in := range m.Instances {
		if in.Name == name {
			return in
		}
	}
	return nil
}
