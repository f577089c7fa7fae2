package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/runner/probe"
)

func newProbeCmd() *cobra.Command {
	var timeout, delay string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "probe CHECK",
		Short: "Wait for one readiness check; exit 0 when it passes, 1 when it times out",
		Long: `Wait for one check written as in a health= annotation, like wait-for-it:

  http://HOST:PORT/PATH, https://…   any 2xx or 3xx answer
  tcp://HOST:PORT                    a connection is accepted
  exec:CMD                           CMD (run by sh -c) exits 0

Exit 0 as soon as it passes; 1, with the last answer, when --timeout runs
out; 2 on a malformed check. The units and manifests that hiverun export
writes use it to gate dependents on readiness.`,
		Example: `  hiverun probe http://127.0.0.1:8000/health --timeout 30s
  hiverun probe tcp://db:5432 && ./migrate
  hiverun probe "exec:redis-cli ping" --timeout 10s`,
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
