package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
)

// notACommand answers a first word that is neither a process of the
// Procfile nor a command of hiverun (cli.NotACommand says what to type
// instead). nil lets start go on, and report an unknown process as it
// always has: a process of the Procfile always wins, so `hiverun web`
// starts web even with a process named like a habit.
func notACommand(root *cobra.Command, g *globals, args []string) error {
	if len(args) == 0 {
		return nil
	}
	pf, err := g.cfg.Parse()
	switch {
	case err == nil && pf.Lookup(args[0]) != nil:
		return nil
	case err != nil && fileExists(g.cfg.Path()):
		// A broken Procfile may well define the word: its error comes first.
		return nil
	}
	if msg := cli.NotACommand(args[0], args[1:], cli.Commands(root), g.cfg.Path()); msg != "" {
		return &usageError{Msg: msg}
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
