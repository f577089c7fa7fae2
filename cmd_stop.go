package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/state"
)

func newStopCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "stop [PROCESS...]",
		Short:   "Stop the stack (or the named processes), from any terminal",
		Long:    cli.Help("stop"),
		Example: cli.Help("stop.example"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			plan := func() *procfile.Plan {
				p, _ := g.cfg.Plan(nil)
				return p
			}
			msg, err := state.Stop(cmd.Context(), dir, args, plan, os.Stderr)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
}
