// Command hiverun boots a development stack from a Procfile: in dependency
// order, each process checked for readiness, output prefixed and coloured,
// everything stopped cleanly on Ctrl-C.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/state"
)

// Exit codes, as SPEC §8 sets them.
const (
	exitOK      = 0
	exitFailed  = 1
	exitBad     = 2
	exitRefused = 3

	// What a shell returns for a command it cannot find or cannot
	// execute, so that `hiverun run -- CMD` fails as `sh -c CMD` would.
	exitNotFound      = 127
	exitNotExecutable = 126
)

// usageError is bad usage of the command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// codeError carries an exact exit code (run's command status).
type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	os.Exit(run(os.Args[1:]))
}

// run is main without os.Exit, so that deferred work always happens and
// every error maps to one exit code here.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(spellings(root, args))
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK
	}
	var (
		rf *state.Refused
		se *state.Error
		ue *usageError
		pe *procfile.Error
		re *runner.ExitError
		ce *codeError
		nf *notFoundError
	)
	switch {
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &nf):
		fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		if nf.found {
			return exitNotExecutable
		}
		return exitNotFound
	case errors.As(err, &re):
		// The runner has already told the user why, on its own output.
		return re.Code
	case errors.As(err, &rf), errors.As(err, &se):
		fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		return exitRefused
	case errors.As(err, &pe):
		// FILE:LINE: message, the form editors and CI logs link to; an
		// error of no file says who is speaking, as every other does.
		if pe.File == "" {
			fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		} else {
			fmt.Fprintln(os.Stderr, err.Error())
		}
		return exitBad
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		return exitBad
	default:
		fmt.Fprintln(os.Stderr, "hiverun: "+err.Error())
		return exitFailed
	}
}
