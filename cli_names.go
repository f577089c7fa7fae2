package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/runner/status"
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

// knownProcesses checks names against the Procfile and the stack
// recorded here; neither is read when no name is given.
func (g *globals) knownProcesses(names []string) error {
	if len(names) == 0 {
		return nil
	}
	pf, err := g.cfg.Parse()
	if err != nil {
		pf = nil
	}
	var recorded []string
	if dir, err := g.openState(); err == nil && dir != nil {
		recorded = dir.RecordedProcesses()
	}
	return status.KnownNames(pf, recorded, names)
}
