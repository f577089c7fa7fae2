package main

import (
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
)

func newEnvCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "env PROCESS",
		Short: "Show a process's final environment and where each value came from",
		Long:  cli.Help("env"),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{Msg: "env takes exactly one process name"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			only := g.cfg
			only.NoDeps = true
			plan, err := only.Plan(args)
			if err != nil {
				return err
			}
			in, err := plan.FirstInstance(args[0])
			if err != nil {
				return err
			}
			in.Final(plan.Procfile.File).Show(cmd.OutOrStdout())
			return nil
		},
	}
}
