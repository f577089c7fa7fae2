package main

import (
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
)

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
