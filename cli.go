package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/state"
)

// globals are the flags every command shares (SPEC §8).
type globals struct {
	// flags tells which flags the command line set: those win over
	// .foreman, which fills in the others once (foremanRead).
	flags       interface{ Changed(name string) bool }
	foremanRead bool
	foremanErr  error
	noted       map[string]bool

	procfile    string
	envFiles    []string
	formation   string
	port        int
	timeout     string
	root        string
	noDeps      bool
	noColor     bool
	noTimestamp bool
	tty         bool
	force       bool
	noReclaim   bool

	healthInterval string
	healthFailures int
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "hiverun [PROCESS...]",
		Short: "Boot a development stack from a Procfile, in dependency order",
		Long: `hiverun runs the processes of a Procfile, like foreman start, and adds what
hand-written start scripts do badly: dependency order (depends=), measured
readiness (health=), optional processes, and a clean stop of everything it
started, children of children included.

Annotations are comment lines above a process, so foreman still reads the file:

  # hiverun: port=8000 health=/health depends=redis timeout=30s
  backend: python3 -m app

Every annotation key, its meaning and default: hiverun help procfile.

With no command, hiverun starts the named processes (all when none is named)
plus what they depend on, in the foreground.`,
		Example: `  hiverun                     # everything in ./Procfile
  hiverun backend admin       # those two and what they depend on
  hiverun -f Procfile.dev -m all=1,worker=3
  hiverun check --json        # validate, print the plan
  hiverun up --detach         # CI: boot in the background, return once ready
  hiverun status              # from another terminal; then hiverun stop
  hiverun run --with backend -- go test ./e2e/...`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
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
	g.flags = f
	f.StringVarP(&g.procfile, "procfile", "f", "", "Procfile to read (default: Procfile in --root or the current folder)")
	f.StringSliceVarP(&g.envFiles, "env", "e", nil, "env file(s) to load instead of .env (repeatable or comma-separated)")
	f.StringVarP(&g.formation, "formation", "m", "", "instances per process, e.g. all=1,web=2 (web=0 leaves web out)")
	f.IntVarP(&g.port, "port", "p", 0, "base port (default: PORT from the environment, else 5000)")
	f.StringVarP(&g.timeout, "timeout", "t", "5", "grace between the stop signal and SIGKILL (seconds or a duration)")
	f.StringVar(&g.root, "root", "", "project folder: dir= and .env are relative to it (default: the Procfile's folder); -d, as in foreman (in up, -d is --detach)")
	f.BoolVar(&g.noDeps, "no-deps", false, "start only the named processes, not what they depend on")
	f.BoolVar(&g.noColor, "no-color", false, "no colour (also when NO_COLOR is set or output is not a terminal)")
	f.BoolVar(&g.noTimestamp, "no-timestamp", false, "no time at the start of each line")
	f.BoolVar(&g.tty, "tty", false, "run every process on its own pseudo-terminal")
	f.BoolVar(&g.force, "force", false, "stop a process of yours that holds an owned port, even though hiverun did not start it")
	f.BoolVar(&g.noReclaim, "no-reclaim", false, "refuse (exit 3) instead of taking over from a live earlier hiverun")
	f.StringVar(&g.healthInterval, "health-interval", "10s", "how often ready processes are checked again")
	f.IntVar(&g.healthFailures, "health-failures", 3, "failed checks in a row that make a process unhealthy")
	root.SetFlagErrorFunc(flagError(g))

	start := &cobra.Command{
		Use:   "start [PROCESS...]",
		Short: "Run the stack in the foreground (the default command)",
		Long: `Start the named processes (all when none is named) and what they depend on,
each as soon as its dependencies are ready, and stop everything on Ctrl-C.
A second Ctrl-C kills at once.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return startCmd(cmd, g, args) },
	}
	root.AddCommand(start, newCheckCmd(g), newEnvCmd(g), newRunCmd(g), newStatusCmd(g), newStopCmd(g), newRestartCmd(g), newUpCmd(g), newLogsCmd(g), newHistoryCmd(g), newUICmd(g, root, start), newVersionCmd())
	root.AddCommand(newExportCmd(g), newProbeCmd(), newProcfileHelp())
	guardArgs(root, g)
	return root
}

// procfilePath is -f, else Procfile in --root, else ./Procfile.
func (g *globals) procfilePath() string {
	// A broken .foreman is reported by parse; status and stop go on.
	_ = g.readForemanFile()
	if g.procfile != "" {
		return g.procfile
	}
	if g.root != "" {
		return filepath.Join(g.root, "Procfile")
	}
	return "Procfile"
}

// parse reads the Procfile.
func (g *globals) parse() (*procfile.Procfile, error) {
	if err := g.readForemanFile(); err != nil {
		return nil, err
	}
	name := g.procfilePath()
	f, err := os.Open(name)
	if err != nil {
		if os.IsNotExist(err) {
			if g.procfile != "" {
				return nil, &procfile.Error{File: name, Msg: "no such file"}
			}
			return nil, &procfile.Error{File: name, Msg: "no such file (use -f to name one)"}
		}
		return nil, &procfile.Error{File: name, Msg: err.Error()}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &procfile.Error{File: name, Msg: "is a folder, not a Procfile"}
	}
	return procfile.Parse(name, f)
}

// plan parses and resolves, for the given selection.
func (g *globals) plan(selection []string) (*procfile.Plan, error) {
	return g.planIn(selection, os.Environ())
}

// planIn is plan in another environment (a reload asked from another shell).
func (g *globals) planIn(selection, environ []string) (*procfile.Plan, error) {
	pf, err := g.parse()
	if err != nil {
		return nil, err
	}
	grace, err := procfile.ParseDuration(g.timeout)
	if err != nil {
		return nil, &usageError{Msg: fmt.Sprintf("--timeout %s: %v", g.timeout, err)}
	}
	if g.port < 0 || g.port > 65535 {
		return nil, &usageError{Msg: fmt.Sprintf("--port %d: port out of range 1-65535", g.port)}
	}
	envFiles, err := g.envFileList()
	if err != nil {
		return nil, err
	}
	return procfile.Resolve(pf, procfile.Options{
		Root:      g.root,
		EnvFiles:  envFiles,
		Inherited: environ,
		BasePort:  g.port,
		Formation: g.formation,
		Select:    selection,
		NoDeps:    g.noDeps,
		Grace:     grace,
		TTY:       g.tty,
	})
}

// envFileList splits -e values; nil means the default .env.
func (g *globals) envFileList() ([]string, error) {
	if err := g.readForemanFile(); err != nil {
		return nil, err
	}
	if g.envFiles == nil {
		g.noteOtherDotenv()
	}
	var files []string
	for _, e := range g.envFiles {
		for _, part := range strings.Split(e, ",") {
			if part = strings.TrimSpace(part); part != "" {
				files = append(files, part)
			}
		}
	}
	if g.envFiles != nil && files == nil {
		return nil, &usageError{Msg: "--env: no file named"}
	}
	return files, nil
}

// rootDir is the project folder without parsing the Procfile: status,
// stop and history must work even when the Procfile is broken or gone.
func (g *globals) rootDir() string {
	if g.root != "" {
		return g.root
	}
	return filepath.Dir(g.procfilePath())
}

// openState opens an existing state folder; nil when there is none.
func (g *globals) openState() (*state.Dir, error) {
	root, err := filepath.Abs(g.rootDir())
	if err != nil {
		return nil, err
	}
	return state.Open(root, false)
}

// warn prints the lines foreman would drop, so a typo is never invisible.
func warn(w io.Writer, pf *procfile.Procfile) {
	for _, wr := range pf.Warnings {
		fmt.Fprintf(w, "%s:%d: warning: %s\n", pf.File, wr.Line, wr.Message)
	}
}

// useColor decides colour once, for the writer actually used.
func (g *globals) useColor(f *os.File) bool {
	if g.noColor || os.Getenv("NO_COLOR") != "" {
		return false
	}
	return isTerminal(f)
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print hiverun's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "hiverun "+versionString())
			return nil
		},
	}
}

// printJSON writes v as one indented JSON object: the --json outputs.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
