package main

import (
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
)

// flagError makes every flag mistake bad usage (exit 2). A flag unknown
// after a mistyped command (`hiverun stauts --json`) is the command's
// mistake: that is the one to tell.
func flagError(g *globals) func(*cobra.Command, error) error {
	return func(cmd *cobra.Command, err error) error {
		if !cmd.HasParent() {
			if werr := notACommand(cmd, g, cmd.Flags().Args()); werr != nil {
				return werr
			}
		}
		return &usageError{Msg: cli.FlagMessage(err)}
	}
}
