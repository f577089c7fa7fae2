// Package procfile reads a foreman Procfile with hiverun's annotations and
// .env files into a plain model, and resolves that model into a plan of
// process instances, from the command line's flags and foreman's .foreman
// (Flags). It starts no processes and does no I/O beyond reading the files
// it is given or that foreman reads (.foreman, .env), checking that dir=
// folders exist, and writing advice to the writer it is handed.
package procfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
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

// Lookup returns the process called name, or nil.
func (pf *Procfile) Lookup(name string) *Process {
	for _, p := range pf.Processes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// foreman's own pattern: lines not matching it are dropped by foreman.
var processLine = regexp.MustCompile(`^([A-Za-z0-9_-]+):\s*(.+)$`)

// annotationLine matches "# hiverun: WORDS" with any blanks around.
var annotationLine = regexp.MustCompile(`^\s*#\s*hiverun:(.*)$`)

// maxLine bounds one Procfile line; a longer one is almost certainly not a
// Procfile at all.
const maxLine = 1 << 20

// Parse reads a Procfile. name is used in messages only.
func Parse(name string, r io.Reader) (*Procfile, error) {
	pf := &Procfile{File: name}
	br := bufio.NewReader(r)
	var pending []annotation
	seen := map[string]int{}
	lineNo := 0
	for {
		raw, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, &Error{File: name, Msg: err.Error()}
		}
		if raw == "" && err == io.EOF {
			break
		}
		lineNo++
		if len(raw) > maxLine {
			return nil, &Error{File: name, Line: lineNo, Msg: "line is longer than 1 MiB"}
		}
		line := strings.TrimSuffix(raw, "\n")
		line = strings.TrimSuffix(line, "\r")
		bom := false
		if lineNo == 1 {
			line, bom = strings.CutPrefix(line, "\uFEFF")
		}
		if bytes.IndexByte([]byte(line), 0) >= 0 {
			return nil, &Error{File: name, Line: lineNo, Msg: "NUL byte: this is not a text file"}
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case annotationLine.MatchString(line):
			words := annotationLine.FindStringSubmatch(line)[1]
			a, perr := parseAnnotation(words)
			if perr != nil {
				return nil, &Error{File: name, Line: lineNo, Msg: perr.Error()}
			}
			pending = append(pending, annotation{line: lineNo, pairs: a})
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			if len(pending) > 0 {
				return nil, danglingError(name, pending[0].line)
			}
		case processLine.MatchString(line):
			m := processLine.FindStringSubmatch(line)
			pname, command := m[1], m[2]
			if prev, dup := seen[pname]; dup {
				return nil, &Error{File: name, Line: lineNo,
					Msg: fmt.Sprintf("process %q is already defined on line %d (foreman would run both under one name)", pname, prev)}
			}
			seen[pname] = lineNo
			p := &Process{Name: pname, Command: command, Line: lineNo, Index: len(pf.Processes),
				Timeout: DefaultTimeout, Restart: RestartNo, Signal: "TERM", keyLines: map[string]int{}}
			if bom {
				// Windows editors write it; foreman's pattern then fails
				// on the first line, so foreman would not run this process.
				pf.Warnings = append(pf.Warnings, Warning{Line: lineNo, Message: fmt.Sprintf(
					"the file starts with a UTF-8 byte-order mark: foreman drops this line, so it would not run %s (hiverun does); save the file as UTF-8 without BOM", pname)})
			}
			if strings.TrimSpace(command) == "" {
				pf.Warnings = append(pf.Warnings, Warning{Line: lineNo,
					Message: fmt.Sprintf("process %q has an empty command", pname)})
			}
			for _, a := range pending {
				if err := applyAnnotation(p, a); err != nil {
					return nil, &Error{File: name, Line: a.line, Msg: err.Error()}
				}
			}
			pending = nil
			pf.Processes = append(pf.Processes, p)
		default:
			if len(pending) > 0 {
				// The same reason as the warning it gets without an
				// annotation: the fix is on this line, not above it.
				return nil, &Error{File: name, Line: pending[0].line, Msg: fmt.Sprintf(
					"annotation is not directly above a process line: line %d is not one: %s", lineNo, dropReason(line))}
			}
			pf.Warnings = append(pf.Warnings, Warning{Line: lineNo, Message: dropReason(line)})
		}
		if err == io.EOF {
			break
		}
	}
	if len(pending) > 0 {
		return nil, danglingError(name, pending[0].line)
	}
	if err := validate(pf); err != nil {
		return nil, err
	}
	return pf, nil
}

func danglingError(file string, line int) error {
	return &Error{File: file, Line: line, Msg: "annotation is not directly above a process line (expected NAME: COMMAND on the next line)"}
}

// dropReason explains why foreman would ignore a line, so the warning tells
// the user what to fix.
func dropReason(line string) string {
	const want = "expected NAME: COMMAND with NAME of letters, digits, '_' or '-'"
	switch {
	case strings.TrimLeft(line, " \t") != line && processLine.MatchString(strings.TrimLeft(line, " \t")):
		return "line starts with blanks, foreman ignores it; " + want
	case !strings.Contains(line, ":"):
		return "no ':' on this line, foreman ignores it; " + want
	default:
		name, _, _ := strings.Cut(line, ":")
		if strings.TrimSpace(name) == "" {
			return "empty process name, foreman ignores this line; " + want
		}
		if processLine.MatchString(line + "x") {
			return "no command after ':', foreman ignores this line; " + want
		}
		return fmt.Sprintf("invalid process name %q, foreman ignores this line; %s", name, want)
	}
}
