package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/proc"
)

func startCmd(cmd *cobra.Command, g *globals, args []string) error {
	// Signals are taken first of all: a Ctrl-C during parsing or the
	// first starts must still stop what was started. (A process that
	// inherits SIGINT ignored, as background jobs of scripts do, loses a
	// SIGINT sent before this line: the kernel drops it.)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)

	plan, err := g.cfg.Plan(args)
	if err != nil {
		return err
	}
	url, stopUI, err := startUI(cmd, g)
	if err != nil {
		return err
	}
	defer stopUI()
	if url != "" {
		fmt.Fprintf(os.Stderr, "hiverun: the dashboard is at %s\n", url)
	}
	return foreground(cmd.Context(), g, plan, args, sigs, nil)
}

// foreground runs plan in the foreground (runner.Foreground) as the flags
// say. more adjusts the runner's options (run --with hooks in there).
func foreground(ctx context.Context, g *globals, plan *procfile.Plan, args []string, sigs chan os.Signal, more func(*runner.Options)) error {
	plan.Procfile.PrintWarnings(os.Stderr)
	return runner.Foreground(ctx, plan, sigs, runner.ForegroundOptions{
		Args:           args,
		NoReclaim:      g.noReclaim,
		Force:          g.force,
		Color:          cli.Color(g.noColor, os.Stdout),
		Timestamps:     !g.noTimestamp,
		HealthInterval: g.healthInterval,
		HealthFailures: g.healthFailures,
		Resolve:        func(names, env []string) (*procfile.Plan, error) { return g.cfg.PlanIn(names, env) },
		More:           more,
	})
}
