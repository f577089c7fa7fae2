package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hiverun/hiverun/procfile"
)

// foremanFile is foreman's option file, read from the current folder as
// foreman reads it.
const foremanFile = ".foreman"

// readForemanFile fills the flags the command line did not set from
// .foreman, once. Without it a project that keeps its Procfile, port or
// formation there got a different stack from hiverun than from foreman.
func (g *globals) readForemanFile() error {
	if g.foremanRead {
		return g.foremanErr
	}
	g.foremanRead = true
	data, err := os.ReadFile(foremanFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		g.foremanErr = &procfile.Error{File: foremanFile, Msg: err.Error()}
		return g.foremanErr
	}
	opts, err := procfile.ParseForemanFile(foremanFile, data)
	if err == nil {
		err = g.applyForemanOptions(opts)
	}
	g.foremanErr = err
	return err
}

func (g *globals) applyForemanOptions(opts []procfile.ForemanOption) error {
	for _, o := range opts {
		flag := o.Key
		if flag == "concurrency" {
			flag = "formation"
		}
		if !slices.Contains(procfile.ForemanFileKeys, o.Key) {
			g.note("%s:%d: warning: hiverun does not read %q from it (it reads %s)", foremanFile, o.Line, o.Key, strings.Join(procfile.ForemanFileKeys, ", "))
			continue
		}
		if g.flags != nil && g.flags.Changed(flag) {
			continue
		}
		bad := func(err error) error {
			return &procfile.Error{File: foremanFile, Line: o.Line, Msg: fmt.Sprintf("%s: %s: %v", o.Key, o.Value, err)}
		}
		switch flag {
		case "procfile":
			g.procfile = o.Value
		case "root":
			g.root = o.Value
		case "env":
			g.envFiles = []string{o.Value}
		case "formation":
			g.formation = o.Value
		case "port":
			n, err := procfile.ParsePort(o.Value)
			if err != nil {
				return bad(err)
			}
			g.port = n
		case "timeout":
			if _, err := procfile.ParseDuration(o.Value); err != nil {
				return bad(err)
			}
			g.timeout = o.Value
		}
	}
	return nil
}

// note prints one line of advice on stderr, once per run.
func (g *globals) note(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if g.noted == nil {
		g.noted = map[string]bool{}
	}
	if !g.noted[msg] {
		g.noted[msg] = true
		fmt.Fprintln(os.Stderr, msg)
	}
}

// noteOtherDotenv says which .env is loaded when the current folder has
// one that is not it (-f other/Procfile): foreman, forego, goreman and
// node-foreman read the current folder's, hiverun the Procfile's folder's.
func (g *globals) noteOtherDotenv() {
	root := g.root
	if root == "" {
		root = filepath.Dir(g.procfilePath())
	}
	here, err1 := os.Stat(".env")
	there, err2 := os.Stat(filepath.Join(root, ".env"))
	switch {
	case err1 != nil || !here.Mode().IsRegular() || err2 == nil && os.SameFile(here, there):
	case err2 == nil:
		g.note("hiverun: loaded %s, the Procfile's folder's, not ./.env (-e .env loads this one)", filepath.Join(root, ".env"))
	default:
		g.note("hiverun: ./.env is not loaded: hiverun reads .env from the Procfile's folder (%s), which has none (-e .env loads this one)", root)
	}
}
