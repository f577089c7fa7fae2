package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/runner/logs"
)

func newLogsCmd(g *globals) *cobra.Command {
	var (
		follow bool
		n      int
	)
	cmd := &cobra.Command{
		Use:   "logs [-f] [-n N] [PROCESS...]",
		Short: "Show the output of a detached stack, merged in time order",
		Long:  cli.Help("logs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			return logs.Show(cmd.OutOrStdout(), dir, args, logs.Options{Lines: n, Follow: follow, Color: cli.Color(g.noColor, os.Stdout), Timestamps: !g.noTimestamp})
		},
	}
	// -f means follow here, as in tail and docker compose; cli.Spellings turns it
	// into --follow, since -f is also the common --procfile.
	cmd.Flags().BoolVar(&follow, "follow", false, "keep printing new lines (-f)")
	cmd.Flags().IntVarP(&n, "lines", "n", 100, "how many of the last lines to show")
	return cmd
}
