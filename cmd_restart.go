package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/runner/state"
)

func newRestartCmd(g *globals) *cobra.Command {
	var deps bool
	cmd := &cobra.Command{
		Use:   "restart PROCESS...",
		Short: "Restart processes of the running stack",
		Long:  cli.Help("restart"),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{Msg: "restart needs process names"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			msg, err := state.Restart(dir, args, deps)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
	cmd.Flags().BoolVar(&deps, "deps", false, "also restart what depends on them")
	return cmd
}
