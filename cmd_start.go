package main

import (
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/proc"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		rev, dirty := "", ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			return "dev-" + rev + dirty
		}
	}
	return "dev"
}

func startCmd(cmd *cobra.Command, g *globals, args []string) error {
	// Signals are taken first of all: a Ctrl-C during parsing or the
	// first starts must still stop what was started. (A process that
	// inherits SIGINT ignored, as background jobs of scripts do, loses a
	// SIGINT sent before this line: the kernel drops it.)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)

	plan, err := g.plan(args)
	if err != nil {
		return err
	}
	warn(os.Stderr, plan.Procfile)

	reaper, _ := proc.NewReaper() // nil where orphans cannot be adopted
	if reaper != nil {
		defer reaper.Close()
	}
	stdout := os.Stdout
	live := isTerminal(stdout) && os.Getenv("TERM") != "dumb"
	width := 120
	if w, _, err := term.GetSize(int(stdout.Fd())); err == nil && w > 20 {
		width = w
	}
	return runner.Run(cmd.Context(), plan, runner.Options{
		Stdout:     stdout,
		Color:      g.useColor(stdout),
		Timestamps: !g.noTimestamp,
		Live:       live,
		LiveWidth:  width,
		Signals:    sigs,
		Reaper:     reaper,
	})
}
