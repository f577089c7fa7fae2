package export

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
)

// Command is `hiverun export`: it builds plan for o.Format, writes it into
// out (the current folder when ""), and names each file written on
// stdout; the Procfile's warnings and what the format cannot express go
// to stderr. Every refusal of the exporter is bad usage (exit 2).
func Command(stdout, stderr io.Writer, plan *procfile.Plan, o Options, out string) error {
	if out == "" {
		out = "."
	}
	var err error
	if o.OutDir, err = filepath.Abs(out); err != nil {
		return &exitcode.Usage{Msg: fmt.Sprintf("-o %s: %v", out, err)}
	}
	res, err := Build(plan, o)
	if err != nil {
		return usage(err)
	}
	if err := Write(o.OutDir, res.App, o.Format, res.Files); err != nil {
		return usage(err)
	}
	plan.Procfile.PrintWarnings(stderr)
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "hiverun: warning: %s (%s)\n", w, o.Format)
	}
	for _, f := range res.Files {
		fmt.Fprintln(stdout, filepath.Join(out, f.Name))
	}
	return nil
}

func usage(err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return &exitcode.Usage{Msg: "export: " + ee.Msg}
	}
	return err
}
