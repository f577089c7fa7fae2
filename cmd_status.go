package main

import (
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/runner/status"
)

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what is running: state, pid, port, health, uptime, CPU and memory",
		Long:  cli.Help("status"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			rep, err := status.Build(dir)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(out, rep); err != nil {
					return err
				}
			} else {
				status.Print(out, rep)
			}
			if !rep.OK {
				return &codeError{Code: exitFailed}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}
