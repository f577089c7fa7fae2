package procfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Reading a Procfile line by line: each annotation waits for the process
// line right below it, and every line foreman would drop gets a warning
// that says why, since a dropped line is a process that silently does not
// run under foreman.

// foreman's own pattern: lines not matching it are dropped by foreman.
var processLine = regexp.MustCompile(`^([A-Za-z0-9_-]+):\s*(.+)$`)

// misspeltAnnotation is a comment whose first word is hiverun, or close to
// it, in any case and with or without its colon: "# hiverun port=80",
// "# Hiverun: port=80", "# hivrun: port=80". A typo there would drop the
// annotation without a word.
var misspeltAnnotation = regexp.MustCompile(`(?i)^#\s*(h[a-z]{3,8}n)\s*:?\s*(.*)$`)

// looksLikeAnnotation tells whether a comment (not a valid annotation) was
// meant as one: its first word is within two edits of hiverun.
func looksLikeAnnotation(comment string) bool {
	m := misspeltAnnotation.FindStringSubmatch(comment)
	return m != nil && Typos(strings.ToLower(m[1]), "hiverun") <= 2
}

// annotationLine matches "# hiverun: WORDS" with any blanks around.
var annotationLine = regexp.MustCompile(`^\s*#\s*hiverun:(.*)$`)

// maxLine bounds one Procfile line; a longer one is almost certainly not a
// Procfile at all.
const maxLine = 1 << 20

// Parse reads a Procfile. name is used in messages only.
func Parse(name string, r io.Reader) (*Procfile, error) {
	ps := &parser{pf: &Procfile{File: name}, seen: map[string]int{}}
	lr := &lineReader{br: bufio.NewReader(r), file: name}
	for {
		line, bom, ok, err := lr.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if err := ps.line(line, lr.no, bom); err != nil {
			return nil, err
		}
	}
	if len(ps.pending) > 0 {
		return nil, danglingError(name, ps.pending[0].line)
	}
	if err := validate(ps.pf); err != nil {
		return nil, withDropped(err, ps.pf)
	}
	return ps.pf, nil
}

// lineReader gives a Procfile's lines one at a time, refusing what cannot
// be a Procfile (a huge line, a NUL byte) before anything parses it.
type lineReader struct {
	br   *bufio.Reader
	file string
	no   int // the number of the line last read
	eof  bool
}

// next returns the next line without its line ending (and, on the first
// line, without a UTF-8 byte-order mark, which bom reports); ok is false
// at the end of the file.
func (lr *lineReader) next() (line string, bom, ok bool, err error) {
	if lr.eof {
		return "", false, false, nil
	}
	raw, err := lr.br.ReadString('\n')
	if err != nil && err != io.EOF {
		return "", false, false, &Error{File: lr.file, Msg: err.Error()}
	}
	if err == io.EOF {
		lr.eof = true
		if raw == "" {
			return "", false, false, nil
		}
	}
	lr.no++
	if len(raw) > maxLine {
		return "", false, false, &Error{File: lr.file, Line: lr.no, Msg: "line is longer than 1 MiB"}
	}
	line = strings.TrimSuffix(raw, "\n")
	line = strings.TrimSuffix(line, "\r")
	if lr.no == 1 {
		line, bom = strings.CutPrefix(line, "\uFEFF")
	}
	if bytes.IndexByte([]byte(line), 0) >= 0 {
		return "", false, false, &Error{File: lr.file, Line: lr.no, Msg: "NUL byte: this is not a text file"}
	}
	return line, bom, true, nil
}

// parser is what one Parse has read so far.
type parser struct {
	pf      *Procfile
	pending []annotation   // annotations waiting for their process line
	seen    map[string]int // process name: the line defining it
}

// line takes one line of the file: an annotation, a blank or comment line,
// a process line, or a line foreman would drop.
func (ps *parser) line(line string, lineNo int, bom bool) error {
	name := ps.pf.File
	trimmed := strings.TrimSpace(line)
	switch {
	case annotationLine.MatchString(line):
		words := annotationLine.FindStringSubmatch(line)[1]
		a, perr := parseAnnotation(words)
		if perr != nil {
			return &Error{File: name, Line: lineNo, Msg: perr.Error()}
		}
		ps.pending = append(ps.pending, annotation{line: lineNo, pairs: a})
	case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		if len(ps.pending) > 0 {
			return danglingError(name, ps.pending[0].line)
		}
		if looksLikeAnnotation(trimmed) {
			ps.pf.Warnings = append(ps.pf.Warnings, Warning{Line: lineNo, Message: `this comment looks like a hiverun annotation but is not one, so it is ignored; expected "# hiverun: key=value ..."`})
		}
	case processLine.MatchString(line):
		m := processLine.FindStringSubmatch(line)
		return ps.process(m[1], m[2], lineNo, bom)
	default:
		if len(ps.pending) > 0 {
			// The same reason as the warning it gets without an
			// annotation: the fix is on this line, not above it.
			return &Error{File: name, Line: ps.pending[0].line, Msg: fmt.Sprintf(
				"annotation is not directly above a process line: line %d is not one: %s", lineNo, dropReason(line))}
		}
		ps.pf.Warnings = append(ps.pf.Warnings, Warning{Line: lineNo, Message: dropReason(line), Dropped: true})
	}
	return nil
}

// process adds the process defined on line lineNo, with the annotations
// above it applied.
func (ps *parser) process(pname, command string, lineNo int, bom bool) error {
	pf, name := ps.pf, ps.pf.File
	if prev, dup := ps.seen[pname]; dup {
		return &Error{File: name, Line: lineNo,
			Msg: fmt.Sprintf("process %q is already defined on line %d (foreman would run both under one name)", pname, prev)}
	}
	ps.seen[pname] = lineNo
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
	for _, a := range ps.pending {
		if err := applyAnnotation(p, a); err != nil {
			return &Error{File: name, Line: a.line, Msg: OneLine(err.Error())}
		}
	}
	ps.pending = nil
	pf.Processes = append(pf.Processes, p)
	return nil
}

// danglingError is an annotation with no process line right below it.
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

// withDropped adds to an error about the processes that a line was not
// read as one: `web python3 app.py` (no colon) is why "api depends on
// unknown process web", and its warning is not shown beside an error.
func withDropped(err error, pf *Procfile) error {
	var pe *Error
	if !errors.As(err, &pe) {
		return err
	}
	for _, w := range pf.Warnings {
		if w.Dropped {
			why, _, _ := strings.Cut(w.Message, ";")
			return &Error{File: pe.File, Line: pe.Line, Msg: fmt.Sprintf("%s (line %d was not read as a process: %s)", pe.Msg, w.Line, why)}
		}
	}
	return err
}
