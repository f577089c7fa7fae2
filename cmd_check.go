package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/runner/status"
)

func newCheckCmd(g *globals) *cobra.Command {
	var asJSON, strict bool
	cmd := &cobra.Command{
		Use:   "check [PROCESS...]",
		Short: "Validate the Procfile and env files; print processes, start order, ports and checks",
		Long:  cli.Help("check"),
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := g.cfg.Plan(args)
			if err != nil {
				return err
			}
			return status.CheckCommand(cmd.OutOrStdout(), os.Stderr, plan, asJSON, strict)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on warnings too")
	return cmd
}
