package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/runcmd"
)

func newRunCmd(g *globals) *cobra.Command {
	var with []string
	cmd := &cobra.Command{
		Use:   "run [--with PROCESS,...] [--] COMMAND [ARG...]",
		Short: "Run a command, or a process of the Procfile, with the stack's environment",
		Long: `Run COMMAND with the environment the stack's processes get from the
inherited environment and the env files, and exit with its status (as a
shell does: 127 when it is not found, 126 when it is not executable). A
single argument is run by the shell when it needs one ('echo $DATABASE_URL':
in single quotes, so that your shell leaves the $ to the command).

Without --with, when COMMAND is the name of a process of the Procfile, its
command line runs instead, as foreman run does, with that process's
environment (its PORT and PS included) in its dir=; further arguments are
added to it. Write -- before COMMAND to run a program of that name instead.

Everything after COMMAND is COMMAND's: hiverun run psql -p 5433 passes
-p 5433 to psql. hiverun's own options go before it.

With --with, the named processes and what they depend on are booted first;
COMMAND runs once they are ready, with each one's port as NAME_PORT
(BACKEND_PORT); then the stack is stopped and hiverun exits with COMMAND's
status. Ctrl-C goes to COMMAND first. If the stack fails to boot, COMMAND
does not run and hiverun exits 1.

When a stack already runs in this folder (up --detach, or hiverun in another
terminal), it is used: what runs and is ready is used as it is, its
supervisor starts what is missing, and only that is stopped afterwards.`,
		Example: `  hiverun run env
  hiverun run 'echo $DATABASE_URL'            # single quotes: $ is for the command
  hiverun run -e .env.test go test ./...
  hiverun run psql -p 5433                    # -p 5433 is psql's
  hiverun run migrate                         # the Procfile's migrate command
  hiverun run --with backend go test ./e2e/...`,
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
			if cmd.ArgsLenAtDash() != 0 {
				in, err := procfileCommand(g, args[0])
				if err != nil {
					return err
				}
				if in != nil {
					line := in.Proc.Command + runcmd.ShellJoin(args[1:])
					return runcmd.Run(in.Environ, in.Env.Values["PATH"], in.Dir, []string{line})
				}
			}
			// The root is taken before .foreman is read, as it always was.
			root := g.cfg.Root
			if root == "" {
				root = filepath.Dir(g.procfilePath())
			}
			files, err := g.envFileList()
			if err != nil {
				return err
			}
			env, err := procfile.LoadEnv(root, files, os.Environ())
			if err != nil {
				return err
			}
			return runcmd.Run(env.List(), env.Values["PATH"], root, args)
		},
	}
	cmd.Flags().StringSliceVar(&with, "with", nil, "boot these processes (and what they depend on) first, stop them after")
	// Options after the command are the command's, as in env, sudo and
	// foreman run.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// procfileCommand is the first instance of process name when the Procfile
// defines one, resolved as the stack would run it; nil when name is not a
// process, or there is no Procfile to say (run works without one).
func procfileCommand(g *globals, name string) (*procfile.Instance, error) {
	pf, err := g.parse()
	if err != nil || pf.Lookup(name) == nil {
		return nil, nil
	}
	g2 := *g
	g2.cfg.NoDeps = true
	plan, err := g2.plan([]string{name})
	if err != nil {
		return nil, err
	}
	return plan.FirstInstance(name)
}

// runWith boots the named processes, runs the command once they are
// ready, then stops them and exits with the command's status.
func runWith(ctx context.Context, g *globals, with, args []string) error {
	boot := func(ctx context.Context, plan *procfile.Plan, names []string, sigs chan os.Signal, ready func()) error {
		// No stack ran here a moment ago; one that starts meanwhile is not
		// taken over either.
		own := *g
		own.noReclaim = true
		return foreground(ctx, &own, plan, names, sigs, func(o *runner.Options) { o.OnReady = func(time.Duration) { ready() } })
	}
	return runcmd.With(ctx, with, args, g.plan, boot)
}
