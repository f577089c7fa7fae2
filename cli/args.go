package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/runner/exitcode"
)

// GuardArgs wraps the argument check of every command under root: a
// process name that known refuses is bad usage (exit 2), in every command
// and whether or not a stack runs, and so is any other argument mistake
// cobra finds. Commands that resolve a plan (start, check, env, up,
// export, run --with) already reject an unknown name there; this covers
// those that talk to a stack.
func GuardArgs(root *cobra.Command, known func(names []string) error) {
	for _, c := range root.Commands() {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			names := ProcessArgs(cmd, args)
			if err := known(names); err != nil {
				return err
			}
			if orig == nil {
				return nil
			}
			if err := orig(cmd, args); err != nil {
				var ue *exitcode.Usage
				switch {
				case errors.As(err, &ue):
				case len(names) > 0:
					// cobra would call a process name an unknown command.
					err = &exitcode.Usage{Msg: fmt.Sprintf("%s takes no process names: it shows the whole stack", cmd.Name())}
				default:
					err = &exitcode.Usage{Msg: err.Error()}
				}
				return err
			}
			return nil
		}
	}
}

// ProcessArgs are the arguments of cmd that name processes (web) or
// instances (web.2).
func ProcessArgs(cmd *cobra.Command, args []string) []string {
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
