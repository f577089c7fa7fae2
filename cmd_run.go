package main

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/runcmd"
)

func newRunCmd(g *globals) *cobra.Command {
	var with []string
	cmd := &cobra.Command{
		Use:     "run [--with PROCESS,...] [--] COMMAND [ARG...]",
		Short:   "Run a command, or a process of the Procfile, with the stack's environment",
		Long:    cli.Help("run"),
		Example: cli.Help("run.example"),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{Msg: "run needs a command: hiverun run COMMAND [ARG...]"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(with) > 0 {
				return runWith(cmd.Context(), g, with, args)
			}
			return runcmd.Plain(&g.cfg, args, cmd.ArgsLenAtDash() == 0)
		},
	}
	cmd.Flags().StringSliceVar(&with, "with", nil, "boot these processes (and what they depend on) first, stop them after")
	// Options after the command are the command's, as in env, sudo and
	// foreman run.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// runWith boots the named processes, runs the command once they are
// ready, then stops them and exits with the command's status.
func runWith(ctx context.Context, g *globals, with, args []string) error {
	boot := func(ctx context.Context, plan *procfile.Plan, names []string, sigs chan os.Signal, ready func()) error {
		// No stack ran here a moment ago; one that starts meanwhile is not
		// taken over either.
		own := *g
		own.noReclaim = true
		return foreground(ctx, &own, plan, names, sigs, func(o *runner.Options) {
			o.OnReady = func(time.Duration) { ready() }
			// stdout is the command's: `run --with api -- curl … > out.json`
			// must get curl's output alone. The stack speaks on stderr,
			// without a live line to tear the command's lines.
			o.Stdout, o.Color, o.Live = os.Stderr, cli.Color(g.noColor, os.Stderr), false
		})
	}
	return runcmd.With(ctx, with, args, g.cfg.Plan, boot)
}
