package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/procfile"
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
			rep := status.BuildCheck(plan)
			out := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(out, rep); err != nil {
					return err
				}
			} else {
				if !strict {
					plan.Procfile.PrintWarnings(os.Stderr)
				}
				status.PrintCheck(out, rep)
			}
			if strict && len(rep.Warnings) > 0 {
				w := rep.Warnings[0]
				return &procfile.Error{File: plan.Procfile.File, Line: w.Line, Msg: "--strict: " + w.Message}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on warnings too")
	return cmd
}
