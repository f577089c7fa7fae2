package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/runner/export"
)

func newExportCmd(g *globals) *cobra.Command {
	var o export.Options
	var out string
	cmd := &cobra.Command{
		Use:     "export systemd|compose|kubernetes [PROCESS...]",
		Short:   "Write the stack as systemd units, a compose file or Kubernetes manifests",
		Long:    cli.Help("export"),
		Example: cli.Help("export.example"),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{Msg: "export: name a format: " + strings.Join(export.Formats, ", ")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Format = args[0]
			plan, err := g.cfg.Plan(args[1:])
			if err != nil {
				return err
			}
			return export.Command(cmd.OutOrStdout(), os.Stderr, plan, o, out)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "folder to write into (default: the current folder)")
	f.StringVar(&o.App, "app", "", "name prefix of every unit, service and object (default: the project folder's name)")
	f.StringVar(&o.Image, "image", "", "compose, kubernetes: the image every process runs")
	f.StringVar(&o.Hiverun, "hiverun", "", "absolute path of hiverun where the stack runs, for readiness probes (default: this executable for systemd, "+export.DefaultImageHiverun+" in an image)")
	f.StringVar(&o.User, "user", "", "systemd, compose: run the processes as this user")
	f.StringVar(&o.Probe, "probe", "hiverun", "compose: what runs an HTTP health check in the container: hiverun or curl")
	f.StringVar(&o.ImageDir, "image-dir", export.DefaultImageDir, "compose, kubernetes: where the project folder is in the image")
	f.BoolVar(&o.Strict, "strict", false, "fail on an annotation the format cannot express, instead of warning")
	return cmd
}
