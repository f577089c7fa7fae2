package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"

	"github.com/hiverun/hiverun/procfile"
)

func newEnvCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "env PROCESS",
		Short: "Show a process's final environment and where each value came from",
		Long:  cli.Help("env"),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{Msg: "env takes exactly one process name"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			g2 := *g
			g2.cfg.NoDeps = true
			plan, err := g2.cfg.Plan(args)
			if err != nil {
				return err
			}
			in, err := plan.FirstInstance(args[0])
			if err != nil {
				return err
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
