package main

import (
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/runner/state"
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
			var mem *state.Memory
			if dir != nil {
				if mem, err = dir.LoadMemory(); err != nil {
					return err
				}
			}
			if svg != "" {
				return ui.WriteBootSVG(svg, dir, boot)
			}
			rep := status.BuildHistory(mem)
			if asJSON {
				return status.PrintJSON(cmd.OutOrStdout(), rep)
			}
			status.PrintHistory(cmd.OutOrStdout(), rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().StringVar(&svg, "svg", "", "draw a boot as an SVG waterfall in this file")
	cmd.Flags().IntVar(&boot, "boot", 1, "with --svg: which boot, counting back (1 is the last)")
	return cmd
}
