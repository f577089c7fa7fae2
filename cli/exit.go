package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/state"
)

// ExitCode is what a command's error means for hiverun's exit code, and
// says on stderr what no one has said yet: every error ends in one place.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitcode.OK
	}
	say := func(s string) { fmt.Fprintln(stderr, "hiverun: "+s) }
	var (
		rf *state.Refused
		se *state.Error
		ue *exitcode.Usage
		pe *procfile.Error
		re *runner.ExitError
		ce *exitcode.Code
		nf *exitcode.NotFoundError
	)
	switch {
	case errors.As(err, &ce):
		if ce.Msg != "" {
			say(ce.Msg)
		}
		return ce.Code
	case errors.As(err, &nf):
		say(err.Error())
		if nf.Found {
			return exitcode.NotExecutable
		}
		return exitcode.NotFound
	case errors.As(err, &re):
		// The runner has already told the user why, on its own output.
		return re.Code
	case errors.As(err, &rf), errors.As(err, &se):
		say(err.Error())
		return exitcode.Refused
	case errors.As(err, &pe):
		// FILE:LINE: message, the form editors and CI logs link to; an
		// error of no file says who is speaking, as every other does.
		if pe.File == "" {
			say(err.Error())
		} else {
			fmt.Fprintln(stderr, err.Error())
		}
		return exitcode.Bad
	case errors.As(err, &ue):
		say(err.Error())
		return exitcode.Bad
	default:
		say(err.Error())
		return exitcode.Failed
	}
}
