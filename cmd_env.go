package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/proc"
)

func newEnvCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "env PROCESS",
		Short: "Show a process's final environment and where each value came from",
		Long: `Show the environment PROCESS gets (its first instance), sorted, with where
each value came from: an env file and line (.env:3), inherited, or the PORT
and PS rules. This is the one place hiverun prints values from env files.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{msg: "env takes exactly one process name"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			g2 := *g
			g2.noDeps = true
			plan, err := g2.plan(args)
			if err != nil {
				return err
			}
			p := plan.Procfile.Lookup(args[0])
			ins := plan.InstancesOf(args[0])
			var in *procfile.Instance
			if len(ins) > 0 {
				in = ins[0]
			} else {
				in = procfile.ResolveOne(plan, p)
			}
			if in == nil {
				return fmt.Errorf("%s: could not resolve its environment", args[0])
			}
			out := cmd.OutOrStdout()
			for _, k := range procfile.SortedKeys(in.Env.Values) {
				fmt.Fprintf(out, "%s=%s\t# %s\n", k, quoteEnv(in.Env.Values[k]), in.Env.Source[k])
			}
			return nil
		},
	}
}

// quoteEnv keeps one variable on one line.
func quoteEnv(v string) string {
	if strings.ContainsAny(v, "\n\r\t\"'\\ #") {
		return strconv.Quote(v)
	}
	return v
}

func newRunCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "run -- COMMAND [ARG...]",
		Short: "Run a command with the stack's environment (like foreman run)",
		Long: `Run COMMAND with the environment the stack's processes get from the
inherited environment and the env files, and exit with its status. A single
argument is run by the shell when it needs one ("echo $PORT").`,
		Example: `  hiverun run -- env
  hiverun run -e .env.test -- go test ./...
  hiverun run 'echo $DATABASE_URL'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{msg: "run needs a command: hiverun run -- COMMAND"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := g.root
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
			return runCommand(env, root, args)
		},
	}
}

// runCommand runs args with env in dir and returns its exit status as a
// *codeError.
func runCommand(penv *procfile.Env, dir string, args []string) error {
	env := penv.List()
	var argv []string
	if len(args) == 1 {
		ex := procfile.PlanExec(args[0])
		if ex.Script != "" {
			argv = []string{"/bin/sh", "-c", ex.Script}
		} else {
			argv = ex.Argv
			env = append(env, ex.Env...)
		}
	} else {
		argv = args
	}
	path := proc.LookPath(argv[0], penv.Values["PATH"], dir)
	if path == "" {
		return &usageError{msg: fmt.Sprintf("run: %s: command not found", argv[0])}
	}
	c := &exec.Cmd{Path: path, Args: argv, Env: env, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	// The command shares our terminal: Ctrl-C reaches it directly. We keep
	// running to pass on its status, and forward what the terminal did not
	// send it (TERM, HUP from a parent).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return fmt.Errorf("run: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = c.Process.Signal(s)
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code := ee.ExitCode()
				if code < 0 {
					code = 128 + proc.SignalNumber(ee)
				}
				return &codeError{code: code}
			}
			return err
		}
	}
}
