package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/runner/export"
)

func newExportCmd(g *globals) *cobra.Command {
	var o export.Options
	var out string
	cmd := &cobra.Command{
		Use:   "export systemd|compose|kubernetes [PROCESS...]",
		Short: "Write the stack as systemd units, a compose file or Kubernetes manifests",
		Long: `Write the stack, as hiverun would run it (same selection, formation, ports
and environment), for an engine that runs it beyond one machine, keeping
dependencies, readiness, restart policy, stop signal and grace:

  systemd      APP.target and APP-NAME.N.service units (readiness through
               ExecStartPost=hiverun probe)
  compose      compose.yaml, one service per process (needs --image)
  kubernetes   APP.yaml (Deployments, Services, Jobs) and APP-secret.yaml
               (needs --image)

The .env values go only into APP.env (mode 0600) or the Secret. What a
format cannot express is one warning line each; --strict makes it an error.
Files are written to a temporary folder and renamed into place; exporting
again replaces what the earlier export wrote and removes what it no longer
writes, and never touches other files.`,
		Example: `  hiverun export systemd -o /etc/systemd/system --user app
  hiverun export compose --image registry.example/app:1.2 -o deploy
  hiverun export kubernetes --image registry.example/app:1.2 -m web=3 -o k8s`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{Msg: "export: name a format: " + strings.Join(export.Formats, ", ")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Format = args[0]
			plan, err := g.plan(args[1:])
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
