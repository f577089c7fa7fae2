package procfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Flags are the words a plan is made from, as the user wrote them:
// hiverun's global flags, and .foreman's settings for those the command
// line left unset. Package main binds its flags to these fields.
type Flags struct {
	Procfile  string   // -f; "": Procfile in Root, else ./Procfile
	EnvFiles  []string // -e, as given (comma-separated lists allowed); nil: .env
	Formation string   // -m
	Port      int      // -p
	Timeout   string   // -t, seconds or a duration
	Root      string   // --root (-d)
	NoDeps    bool
	TTY       bool

	// Given tells which flags the command line set: those win over
	// .foreman, which fills in the others once, when first needed.
	Given func(flag string) bool
	// Notes receives lines of advice for the user, each line once: a
	// .foreman setting hiverun does not read, which .env is loaded.
	Notes io.Writer

	foremanRead bool
	foremanErr  error
	noted       map[string]bool
}

// ForemanFile is foreman's option file, read from the current folder as
// foreman reads it.
const ForemanFile = ".foreman"

// Path is -f, else Procfile in --root, else ./Procfile. A broken
// .foreman is reported by Parse and Plan: status and stop go on.
func (s *Flags) Path() string {
	_ = s.foreman()
	if s.Procfile != "" {
		return s.Procfile
	}
	if s.Root != "" {
		return filepath.Join(s.Root, "Procfile")
	}
	return "Procfile"
}

// Dir is the project folder, known without parsing the Procfile: status,
// stop and history must work even when the Procfile is broken or gone.
// (Root is looked at before .foreman is read, as it always was.)
func (s *Flags) Dir() string {
	if s.Root != "" {
		return s.Root
	}
	return filepath.Dir(s.Path())
}

// Parse reads the Procfile.
func (s *Flags) Parse() (*Procfile, error) {
	if err := s.foreman(); err != nil {
		return nil, err
	}
	name := s.Path()
	f, err := os.Open(name)
	if err != nil {
		if os.IsNotExist(err) {
			if s.Procfile != "" {
				return nil, &Error{File: name, Msg: "no such file" + nearFile(name)}
			}
			return nil, &Error{File: name, Msg: "no such file (use -f to name one)"}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &Error{File: name, Msg: "is a folder, not a Procfile"}
	}
	return Parse(name, f)
}

// Plan parses and resolves the processes of selection.
func (s *Flags) Plan(selection []string) (*Plan, error) {
	return s.PlanIn(selection, os.Environ())
}

// PlanIn is Plan in another environment (a reload asked from another
// shell).
func (s *Flags) PlanIn(selection, environ []string) (*Plan, error) {
	pf, err := s.Parse()
	if err != nil {
		return nil, err
	}
	// The flags' own mistakes belong to no file: said as usage, exit 2.
	grace, err := ParseDuration(s.Timeout)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("--timeout %s: %v", s.Timeout, err)}
	}
	if s.Port < 0 || s.Port > 65535 {
		return nil, &Error{Msg: fmt.Sprintf("--port %d: port out of range 1-65535", s.Port)}
	}
	envFiles, err := s.EnvFileList()
	if err != nil {
		return nil, err
	}
	return Resolve(pf, Options{
		Root:      s.Root,
		EnvFiles:  envFiles,
		Inherited: environ,
		BasePort:  s.Port,
		Formation: s.Formation,
		Select:    selection,
		NoDeps:    s.NoDeps,
		Grace:     grace,
		TTY:       s.TTY,
	})
}

// EnvFileList splits the -e values; nil means the default .env, and then
// a note says so when that is not the current folder's.
func (s *Flags) EnvFileList() ([]string, error) {
	if err := s.foreman(); err != nil {
		return nil, err
	}
	if s.EnvFiles == nil {
		if msg := s.otherDotenv(); msg != "" {
			s.note(msg)
		}
	}
	var files []string
	for _, e := range s.EnvFiles {
		for _, part := range strings.Split(e, ",") {
			if part = strings.TrimSpace(part); part != "" {
				files = append(files, part)
			}
		}
	}
	if s.EnvFiles != nil && files == nil {
		return nil, &Error{Msg: "--env: no file named"}
	}
	return files, nil
}

// otherDotenv says which .env is loaded when the current folder has one
// that is not it (-f other/Procfile): foreman, forego, goreman and
// node-foreman read the current folder's, hiverun the Procfile's folder's.
func (s *Flags) otherDotenv() string {
	root := s.Dir()
	here, err1 := os.Stat(".env")
	there, err2 := os.Stat(filepath.Join(root, ".env"))
	switch {
	case err1 != nil || !here.Mode().IsRegular() || err2 == nil && os.SameFile(here, there):
		return ""
	case err2 == nil:
		return fmt.Sprintf("hiverun: loaded %s, the Procfile's folder's, not ./.env (-e .env loads this one)", filepath.Join(root, ".env"))
	default:
		return fmt.Sprintf("hiverun: ./.env is not loaded: hiverun reads .env from the Procfile's folder (%s), which has none (-e .env loads this one)", root)
	}
}

// note writes one line of advice to Notes, once.
func (s *Flags) note(msg string) {
	if s.noted == nil {
		s.noted = map[string]bool{}
	}
	if !s.noted[msg] {
		s.noted[msg] = true
		if s.Notes != nil {
			fmt.Fprintln(s.Notes, msg)
		}
	}
}

// foreman reads .foreman once; its error stays the answer.
func (s *Flags) foreman() error {
	if !s.foremanRead {
		s.foremanRead = true
		s.foremanErr = s.readForeman()
	}
	return s.foremanErr
}

// readForeman fills the flags the command line did not give from
// .foreman in the current folder. Without it a project that keeps its
// Procfile, port or formation there got a different stack from hiverun
// than from foreman.
func (s *Flags) readForeman() error {
	data, err := os.ReadFile(ForemanFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return &Error{File: ForemanFile, Msg: err.Error()}
	}
	opts, err := ParseForemanFile(ForemanFile, data)
	if err != nil {
		return err
	}
	for _, o := range opts {
		if err := s.applyForeman(o); err != nil {
			return err
		}
	}
	return nil
}

func (s *Flags) applyForeman(o ForemanOption) error {
	flag := o.Key
	if flag == "concurrency" {
		flag = "formation"
	}
	if !slices.Contains(ForemanFileKeys, o.Key) {
		s.note(fmt.Sprintf("%s:%d: warning: hiverun does not read %q from it (it reads %s)", ForemanFile, o.Line, o.Key, strings.Join(ForemanFileKeys, ", ")))
		return nil
	}
	if s.Given != nil && s.Given(flag) {
		return nil
	}
	bad := func(err error) error {
		return &Error{File: ForemanFile, Line: o.Line, Msg: fmt.Sprintf("%s: %s: %v", o.Key, o.Value, err)}
	}
	switch flag {
	case "procfile":
		s.Procfile = o.Value
	case "root":
		s.Root = o.Value
	case "env":
		s.EnvFiles = []string{o.Value}
	case "formation":
		s.Formation = o.Value
	case "port":
		n, err := ParsePort(o.Value)
		if err != nil {
			return bad(err)
		}
		s.Port = n
	case "timeout":
		if _, err := ParseDuration(o.Value); err != nil {
			return bad(err)
		}
		s.Timeout = o.Value
	}
	return nil
}

// nearFile is "; did you mean Procfile?" when the folder of name, a file
// that is not there, holds one a typo away.
func nearFile(name string) string {
	ents, err := os.ReadDir(filepath.Dir(name))
	if err != nil {
		return ""
	}
	var files []string
	for _, e := range ents {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	near := Nearest(files, filepath.Base(name))
	if len(near) > 3 {
		return ""
	}
	for i, n := range near {
		near[i] = filepath.Join(filepath.Dir(name), n)
	}
	return meant(near)
}
