package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/proc"
)

// procfileCommand is the first instance of process name when the Procfile
// defines one, resolved as the stack would run it; nil when name is not a
// process, or there is no Procfile to say (run works without one).
func procfileCommand(g *globals, name string) (*procfile.Instance, error) {
	pf, err := g.parse()
	if err != nil || pf.Lookup(name) == nil {
		return nil, nil
	}
	g2 := *g
	g2.noDeps = true
	plan, err := g2.plan([]string{name})
	if err != nil {
		return nil, err
	}
	if ins := plan.InstancesOf(name); len(ins) > 0 {
		return ins[0], nil
	}
	if in := procfile.ResolveOne(plan, pf.Lookup(name)); in != nil {
		return in, nil
	}
	return nil, fmt.Errorf("%s: could not resolve its environment", name)
}

// shellJoin quotes args for sh, each after a space.
func shellJoin(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteByte(' ')
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@%+") == "" {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}

// runCommand runs args on hiverun's terminal and passes on its status.
func runCommand(env []string, pathEnv, dir string, args []string) error {
	c, err := startCommand(env, pathEnv, dir, args)
	if err != nil {
		return err
	}
	// The command shares our terminal: Ctrl-C reaches it directly. We
	// keep running to pass on its status, and forward what the terminal
	// did not send it (TERM, HUP).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = c.Process.Signal(s)
		case err := <-done:
			return commandStatus(err)
		}
	}
}

// missingCommand says why name, which LookPath did not find, cannot run:
// a path to a file that is there is not executable.
func missingCommand(name, dir string) error {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	fi, err := os.Stat(p)
	found := strings.ContainsRune(name, '/') && err == nil
	if found && fi.IsDir() {
		found = false
	}
	return &exitcode.NotFoundError{Name: name, Found: found}
}
