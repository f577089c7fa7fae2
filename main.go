// Command hiverun boots a development stack from a Procfile: in dependency
// order, each process checked for readiness, output prefixed and coloured,
// everything stopped cleanly on Ctrl-C.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/state"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// usageError is bad usage of the command line (exit 2).
type usageError = exitcode.Usage

func main() {
	os.Exit(run(os.Args[1:]))
}

// run is main without os.Exit, so that deferred work always happens and
// every error maps to one exit code here.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(cli.Spellings(root, args))
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitcode.OK
	}
	var (
		rf *state.Refused
		se *state.Error
		ue *usageError
		pe *procfile.Error
		re *runner.ExitError
		ce *exitcode.Code
		nf *exitcode.NotFoundError
	)
	switch {
	case errors.As(err, &ce):
		if ce.Msg != "" {
			fmt.Fprintln(os.Stderr, "hiverun: "+ce.Msg)
		}
		return ce.Code
	case errors.As(err, &nf):
		fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		if nf.Found {
			return exitcode.NotExecutable
		}
		return exitcode.NotFound
	case errors.As(err, &re):
		// The runner has already told the user why, on its own output.
		return re.Code
	case errors.As(err, &rf), errors.As(err, &se):
		fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		return exitcode.Refused
	case errors.As(err, &pe):
		// FILE:LINE: message, the form editors and CI logs link to; an
		// error of no file says who is speaking, as every other does.
		if pe.File == "" {
			fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		} else {
			fmt.Fprintln(os.Stderr, err.Error())
		}
		return exitcode.Bad
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		return exitcode.Bad
	default:
		fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		return exitcode.Failed
	}
}
