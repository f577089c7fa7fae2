package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/state"
	"github.com/hiverun/hiverun/runner/status"
)

// globals are the flags every command shares (SPEC §8).
type globals struct {
	// cfg is what makes the plan, bound to the flags; .foreman fills in
	// the others.
	cfg procfile.Flags

	noColor     bool
	noTimestamp bool
	force       bool
	noReclaim   bool

	healthInterval string
	healthFailures int
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "hiverun [PROCESS...]",
		Short:         "Boot a development stack from a Procfile, in dependency order",
		Long:          cli.Help("hiverun"),
		Example:       cli.Help("hiverun.example"),
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       cli.Version(version),
	}
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if err := notACommand(root, g, args); err != nil {
			return err
		}
		return startCmd(cmd, g, args)
	}
	root.SetVersionTemplate("hiverun {{.Version}}\n")
	root.SetUsageTemplate(root.UsageTemplate() + exitCodesHelp)
	f := root.PersistentFlags()
	g.cfg.Given, g.cfg.Notes = f.Changed, os.Stderr
	f.StringVarP(&g.cfg.Procfile, "procfile", "f", "", "Procfile to read (default: Procfile in --root or the current folder)")
	f.StringSliceVarP(&g.cfg.EnvFiles, "env", "e", nil, "env file(s) to load instead of .env (repeatable or comma-separated)")
	f.StringVarP(&g.cfg.Formation, "formation", "m", "", "instances per process, e.g. all=1,web=2 (web=0 leaves web out)")
	f.IntVarP(&g.cfg.Port, "port", "p", 0, "base port (default: PORT from the environment, else 5000)")
	f.StringVarP(&g.cfg.Timeout, "timeout", "t", "5", "grace between the stop signal and SIGKILL (seconds or a duration)")
	f.StringVar(&g.cfg.Root, "root", "", "project folder: dir= and .env are relative to it (default: the Procfile's folder); -d, as in foreman (in up, -d is --detach)")
	f.BoolVar(&g.cfg.NoDeps, "no-deps", false, "start only the named processes, not what they depend on")
	f.BoolVar(&g.noColor, "no-color", false, "no colour (also when NO_COLOR is set or output is not a terminal)")
	f.BoolVar(&g.noTimestamp, "no-timestamp", false, "no time at the start of each line")
	f.BoolVar(&g.cfg.TTY, "tty", false, "run every process on its own pseudo-terminal")
	f.BoolVar(&g.force, "force", false, "stop a process of yours that holds an owned port, even though hiverun did not start it")
	f.BoolVar(&g.noReclaim, "no-reclaim", false, "refuse (exit 3) instead of taking over from a live earlier hiverun")
	f.StringVar(&g.healthInterval, "health-interval", "10s", "how often ready processes are checked again")
	f.IntVar(&g.healthFailures, "health-failures", 3, "failed checks in a row that make a process unhealthy")
	root.SetFlagErrorFunc(flagError(g))

	start := &cobra.Command{
		Use:   "start [PROCESS...]",
		Short: "Run the stack in the foreground (the default command)",
		Long:  cli.Help("start"),
		Args:  cobra.ArbitraryArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return startCmd(cmd, g, args) },
	}
	root.AddCommand(start, newCheckCmd(g), newEnvCmd(g), newRunCmd(g), newStatusCmd(g), newStopCmd(g), newRestartCmd(g), newUpCmd(g), newLogsCmd(g), newHistoryCmd(g), newUICmd(g, root, start), newVersionCmd())
	root.AddCommand(newExportCmd(g), newProbeCmd(), newProcfileHelp())
	cli.GuardArgs(root, g.knownProcesses)
	return root
}

// openState opens an existing state folder; nil when there is none.
func (g *globals) openState() (*state.Dir, error) {
	root, err := filepath.Abs(g.cfg.Dir())
	if err != nil {
		return nil, err
	}
	return state.Open(root, false)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print hiverun's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "hiverun "+cli.Version(version))
			return nil
		},
	}
}

// flagError makes every flag mistake bad usage (exit 2). A flag unknown
// after a mistyped command (`hiverun stauts --json`) is the command's
// mistake: that is the one to tell.
func flagError(g *globals) func(*cobra.Command, error) error {
	return func(cmd *cobra.Command, err error) error {
		if !cmd.HasParent() {
			if werr := notACommand(cmd, g, cmd.Flags().Args()); werr != nil {
				return werr
			}
		}
		return &usageError{Msg: cli.FlagMessage(err)}
	}
}

// exitCodesHelp ends `hiverun --help` only, not each command's.
const exitCodesHelp = "{{if not .HasParent}}\n" + exitcode.Help + "{{end}}"

// newProcfileHelp is `hiverun help procfile`: the Procfile and every
// annotation key with its meaning and default.
func newProcfileHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "procfile",
		Short: "The Procfile and its annotations: every key, its meaning and default",
		Long:  procfile.Help(),
	}
}

// knownProcesses checks names against the Procfile and the stack
// recorded here; neither is read when no name is given.
func (g *globals) knownProcesses(names []string) error {
	if len(names) == 0 {
		return nil
	}
	pf, err := g.cfg.Parse()
	if err != nil {
		pf = nil
	}
	var recorded []string
	if dir, err := g.openState(); err == nil && dir != nil {
		recorded = dir.RecordedProcesses()
	}
	return status.KnownNames(pf, recorded, names)
}
