package main

import (
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/runner/status"
	"github.com/hiverun/hiverun/runner/ui"
)

func newHistoryCmd(g *globals) *cobra.Command {
	var (
		asJSON bool
		svg    string
		boot   int
	)
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Past startups: boot time, critical path, per-process time to ready, result",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			var draw func() error
			if svg != "" {
				draw = func() error { return ui.WriteBootSVG(svg, dir, boot) }
			}
			return status.HistoryCommand(cmd.OutOrStdout(), dir, asJSON, draw)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().StringVar(&svg, "svg", "", "draw a boot as an SVG waterfall in this file")
	cmd.Flags().IntVar(&boot, "boot", 1, "with --svg: which boot, counting back (1 is the last)")
	return cmd
}
