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
}

func (e *NotFoundError) Error() string {
	if e.Found {
		return fmt.Sprintf("run: %s: permission denied (not an executable file)", e.Name)
	}
	return fmt.Sprintf("run: %s: command not found", e.Name)
}
