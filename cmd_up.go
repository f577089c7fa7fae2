package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/detach"
)

func newUpCmd(g *globals) *cobra.Command {
	var (
		detached    bool
		deps        bool
		waitTimeout string
		report      string
	)
	cmd := &cobra.Command{
		Use:     "up --detach [PROCESS...]",
		Short:   "Boot the stack in the background and return once it is ready (for CI)",
		Long:    cli.Help("up"),
		Example: cli.Help("up.example"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if detach.InBackground() {
				stopUI, err := serveDetachedUI(cmd, g)
				if err != nil {
					return err
				}
				defer stopUI()
				return detachedSupervise(cmd.Context(), g, args)
			}
			if !detached {
				return &usageError{Msg: "up runs in the background only: hiverun up --detach (or hiverun for the foreground)"}
			}
			wait, err := procfile.ParseDuration(waitTimeout)
			if err != nil || wait == 0 {
				return &usageError{Msg: fmt.Sprintf("--wait-timeout %s: expected a duration like 5m", waitTimeout)}
			}
			plan, err := g.cfg.Plan(args)
			if err != nil {
				return err
			}
			plan.Procfile.PrintWarnings(os.Stderr)
			ui, _ := cmd.Flags().GetBool("ui")
			return detach.Up(cmd.OutOrStdout(), plan, detach.Options{Wait: wait, Report: report, Deps: deps, UI: ui})
		},
	}
	cmd.Flags().BoolVarP(&detached, "detach", "d", false, "run the stack in the background")
	cmd.Flags().StringVar(&waitTimeout, "wait-timeout", "5m", "give up (and stop the stack) if it is not ready by then")
	cmd.Flags().StringVar(&report, "report", "", "write the boot as JSON to this file (as an SVG waterfall when it ends in .svg)")
	addUIFlags(cmd)
	cmd.Flags().BoolVar(&deps, "deps", false, "run again: also restart what depends on a changed process")
	return cmd
}

// detachedSupervise is the background supervisor of `up --detach`.
func detachedSupervise(ctx context.Context, g *globals, args []string) error {
	plan := func() (*procfile.Plan, error) { return g.cfg.Plan(args) }
	return detach.Background(plan, func(plan *procfile.Plan, sigs chan os.Signal, logs string, ready func()) error {
		return foreground(ctx, g, plan, args, sigs, func(o *runner.Options) {
			o.OnReady = func(time.Duration) { ready() }
			o.Reload = func(env []string) (*procfile.Plan, error) { return g.cfg.PlanIn(args, env) }
			o.Stdout = io.Discard
			o.Live = false
			o.LogDir = logs
			o.TailLines = 20
		})
	})
}
