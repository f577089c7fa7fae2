package main

import (
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/detach"
	"github.com/hiverun/hiverun/runner/ui"
)

func newUICmd(g *globals, runners ...*cobra.Command) *cobra.Command {
	var port int
	cmd := &cobra.Command{
		Use:     "ui",
		Short:   "Serve a live dashboard of the stack on 127.0.0.1 (process table, boot waterfall, output, restart/stop)",
		Long:    cli.Help("ui"),
		Example: cli.Help("ui.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ui.Command(cmd.Context(), cmd.OutOrStdout(), g.dashboard(), port)
		},
	}
	cmd.Flags().IntVar(&port, "ui-port", 0, "port on 127.0.0.1 (default: a free one)")
	for _, c := range runners {
		addUIFlags(c)
	}
	return cmd
}

// addUIFlags gives a command that runs the stack --ui and --ui-port.
func addUIFlags(c *cobra.Command) {
	c.Flags().Bool("ui", false, "also serve the live dashboard on 127.0.0.1 (see hiverun ui)")
	c.Flags().Int("ui-port", 0, "port of the dashboard (default: a free one)")
}

// startUI serves the dashboard from this process when --ui was given,
// reading the state folder as `hiverun ui` does: the supervisor writes
// memory.json, the page reads it. It returns the address ("" without
// --ui) and how to stop it.
func startUI(cmd *cobra.Command, g *globals) (string, func(), error) {
	on, _ := cmd.Flags().GetBool("ui")
	if !on {
		return "", func() {}, nil
	}
	port, _ := cmd.Flags().GetInt("ui-port")
	return ui.Start(g.dashboard(), port)
}

// serveDetachedUI serves the dashboard from the background supervisor of
// `up --detach --ui`, for as long as the stack runs.
func serveDetachedUI(cmd *cobra.Command, g *globals) (func(), error) {
	dir, err := g.openState()
	if err != nil {
		return func() {}, err
	}
	return detach.PublishUI(dir, func() (string, func(), error) { return startUI(cmd, g) })
}

// dashboard is the dashboard of this folder's stack.
func (g *globals) dashboard() *ui.Folder {
	return ui.NewFolder(g.cfg.Dir, g.cfg.Path, func() (*procfile.Plan, error) { return g.cfg.Plan(nil) })
}
