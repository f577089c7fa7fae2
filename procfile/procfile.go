// Package procfile reads a foreman Procfile with hiverun's annotations and
// .env files into a plain model, and resolves that model into a plan of
// process instances, from the command line's flags and foreman's .foreman
// (Flags). It starts no processes and does no I/O beyond reading the files
// it is given or that foreman reads (.foreman, .env), checking that dir=
// folders exist, and writing advice to the writer it is handed.
package procfile

import (
	"fmt"
	"time"
)

// Error is a problem in an input file. Line is 0 when the problem has no
// single line (a missing file, say).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	if e.File != "" {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return e.Msg
}

// Warning is a line foreman would silently drop.
type Warning struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
	// Dropped: the line was not read as a process.
	Dropped bool `json:"-"`
}

// Restart policies.
const (
	RestartNo        = "no"
	RestartOnFailure = "on-failure"
	RestartAlways    = "always"
)

// DefaultTimeout is how long a process may take to become ready when its
// annotations do not say.
const DefaultTimeout = 60 * time.Second

// Process is one entry of a Procfile with its annotations, as written:
// variables in values are expanded later, per instance.
type Process struct {
	Name    string
	Command string
	Line    int
	Index   int // position in the Procfile, for the PORT rule

	Port     string // port= as written ("" when not owned)
	Depends  []string
	Health   string // health= as written
	Timeout  time.Duration
	Delay    time.Duration
	Optional bool
	Oneshot  bool
	Dir      string // dir= as written, relative to the root
	Restart  string
	Signal   string // canonical name without SIG, e.g. "TERM"
	Grace    time.Duration
	GraceSet bool
	Clean    []string
	TTY      bool

	// keyLines remembers where each annotation key was given, so that
	// later checks can point at the annotation rather than the process.
	keyLines map[string]int
}

// KeyLine is the line of the annotation that set key, or the process line.
func (p *Process) KeyLine(key string) int {
	if l, ok := p.keyLines[key]; ok {
		return l
	}
	return p.Line
}

// Procfile is a parsed Procfile.
type Procfile struct {
	File      string
	Processes []*Process
	Warnings  []Warning
}

// Names are the process names, in Procfile order.
func (pf *Procfile) Names() []string {
	out := make([]string, 0, len(pf.Processes))
	for _, p := range pf.Processes {
		out = append(out, p.Name)
	}
	return out
}

// Lookup returns the process called name, or nil.
func (pf *Procfile) Lookup(name string) *Process {
	for _, p := range pf.Processes {
		if p.Name == name {
			return p
		}
	}
	return nil
}
