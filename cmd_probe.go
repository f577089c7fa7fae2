package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/runner/probe"
)

func newProbeCmd() *cobra.Command {
	var timeout, delay string
	var quiet bool
	cmd := &cobra.Command{
		Use:     "probe CHECK",
		Short:   "Wait for one readiness check; exit 0 when it passes, 1 when it times out",
		Long:    cli.Help("probe"),
		Example: cli.Help("probe.example"),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{Msg: fmt.Sprintf("probe: expected one CHECK (http://…, tcp://host:port or exec:CMD), got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return probe.Command(cmd.Context(), cmd.OutOrStdout(), args[0], timeout, delay, quiet)
		},
	}
	cmd.Flags().StringVar(&timeout, "timeout", "60s", "how long to wait (a duration or seconds)")
	cmd.Flags().StringVar(&delay, "delay", "0", "wait this long before the first try")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing when the check passes")
	return cmd
}
