// Package exitcode is hiverun's exit codes (SPEC §8) and the errors that
// carry one from a package up to main, which alone turns an error into
// an exit. It imports nothing of hiverun: any package may return these.
package exitcode

import "fmt"

// Exit codes, as SPEC §8 sets them.
const (
	OK      = 0
	Failed  = 1
	Bad     = 2
	Refused = 3

	// What a shell returns for a command it cannot find or cannot
	// execute, so that `hiverun run -- CMD` fails as `sh -c CMD` would.
	NotFound      = 127
	NotExecutable = 126
)

// Usage is bad usage of the command line (exit 2).
type Usage struct{ Msg string }

func (e *Usage) Error() string { return e.Msg }

// Code is an exact exit code: the command's or the stack's status. Msg,
// when set, is a reason no one has told yet: main prints it.
type Code struct {
	Code int
	Msg  string
}

func (e *Code) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// NotFoundError is a command for run that is not on PATH (exit 127), or
// a file named by its path that is not executable (exit 126).
type NotFoundError struct {
	Name  string
	Found bool
	Dir   bool // Found, and a folder (126, as a shell says it)
}

func (e *NotFoundError) Error() string {
	if e.Dir {
		return fmt.Sprintf("run: %s: is a directory", e.Name)
	}
	if e.Found {
		return fmt.Sprintf("run: %s: permission denied (not an executable file)", e.Name)
	}
	return fmt.Sprintf("run: %s: command not found", e.Name)
}

// Help ends `hiverun --help`: scripts and CI steps branch on these codes,
// so they belong where a user looks first. It sits next to the codes it
// explains, so that one is not changed without the other.
const Help = `Exit codes:
  0    success, or the stack was stopped by you (Ctrl-C, hiverun stop)
  1    the stack or a required process failed
  2    bad usage or bad input files (FILE:LINE: message on stderr)
  3    refused: a port held by a process hiverun did not start, another
       supervisor with --no-reclaim, a state folder that is a symlink or
       another user's
hiverun run exits with its command's status: 127 when the command is not
found, 126 when it is not executable, 128+N when signal N ended it.
`
