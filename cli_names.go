package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/runner/state"
)

// guardArgs wraps the argument check of every command: a process name
// that is neither in the Procfile nor in the stack that runs here is bad
// usage (exit 2), in every command and whether or not a stack runs, and
// so is any other argument mistake cobra finds. Commands that resolve a
// plan (start, check, env, up, export, run --with) already reject an
// unknown name there; this covers those that talk to a stack.
func guardArgs(root *cobra.Command, g *globals) {
	for _, c := range root.Commands() {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			names := processArgs(cmd, args)
			if err := g.knownProcesses(names); err != nil {
				return err
			}
			if orig == nil {
				return nil
			}
			if err := orig(cmd, args); err != nil {
				var ue *usageError
				switch {
				case errors.As(err, &ue):
				case len(names) > 0:
					// cobra would call a process name an unknown command.
					err = &usageError{Msg: fmt.Sprintf("%s takes no process names: it shows the whole stack", cmd.Name())}
				default:
					err = &usageError{Msg: err.Error()}
				}
				return err
			}
			return nil
		}
	}
}

// processArgs are the arguments of cmd that name processes (web) or
// instances (web.2).
func processArgs(cmd *cobra.Command, args []string) []string {
	switch cmd.Name() {
	case "stop", "restart", "logs", "status":
		return args
	case "export":
		if len(args) > 0 {
			return args[1:]
		}
	}
	return nil
}

// knownProcesses fails on the first name that is neither a process of the
// Procfile nor one of the stack recorded here (which may have been started
// from an earlier Procfile). With neither to ask, there is nothing to say.
func (g *globals) knownProcesses(names []string) error {
	if len(names) == 0 {
		return nil
	}
	known := map[string]bool{}
	var list []string
	add := func(n string) {
		if !known[n] {
			known[n] = true
			list = append(list, n)
		}
	}
	if pf, err := g.parse(); err == nil {
		for _, p := range pf.Processes {
			add(p.Name)
		}
	}
	fromProcfile := len(list)
	for _, n := range g.recordedProcesses() {
		add(n)
	}
	if len(known) == 0 {
		return nil
	}
	for _, n := range names {
		base, _, _ := strings.Cut(n, ".")
		if known[n] || known[base] {
			continue
		}
		if len(list) == fromProcfile {
			return &usageError{Msg: fmt.Sprintf("unknown process %q (the Procfile defines: %s)", n, strings.Join(list, ", "))}
		}
		sort.Strings(list)
		return &usageError{Msg: fmt.Sprintf("unknown process %q (known here: %s)", n, strings.Join(list, ", "))}
	}
	return nil
}

// recordedProcesses are the processes memory.json and the pidfiles name.
// It reads them without LoadMemory, which would move a corrupt file aside
// before the command itself could say so.
func (g *globals) recordedProcesses() []string {
	dir, err := g.openState()
	if err != nil || dir == nil {
		return nil
	}
	var out []string
	if data, err := dir.ReadFile("memory.json"); err == nil {
		var mem state.Memory
		if json.Unmarshal(data, &mem) == nil {
			for _, in := range mem.Instances {
				out = append(out, in.Process)
			}
		}
	}
	for _, pf := range dir.ReadPids() {
		base, _, _ := strings.Cut(pf.Name, ".")
		out = append(out, base)
	}
	return out
}
