package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/state"
)

func newStopCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "stop [PROCESS...]",
		Short: "Stop the stack (or the named processes), from any terminal",
		Long: `Stop the stack started in this folder, from any terminal. With a live
supervisor (a foreground hiverun or up --detach), it is asked to stop the
stack in order, dependents first, and exit. With none (it was killed),
hiverun stops the processes it left behind directly, those it can prove
are its own.

With names, stop PROCESS... stops only those processes (web, or one
instance: web.2), each with its stop signal, then SIGKILL after its grace.
This is not a failure: the rest of the stack keeps running, what depends
on them included, and when every process has been stopped so, the
supervisor ends with exit 0. hiverun restart PROCESS starts one again.`,
		Example: `  hiverun stop                # the whole stack
  hiverun stop worker         # only worker; the rest keeps running
  hiverun restart worker      # and back`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			plan := func() *procfile.Plan {
				p, _ := g.plan(nil)
				return p
			}
			msg, err := state.Stop(cmd.Context(), dir, args, plan, os.Stderr)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
}
