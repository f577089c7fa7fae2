// Command hiverun boots a development stack from a Procfile: in dependency
// order, each process checked for readiness, output prefixed and coloured,
// everything stopped cleanly on Ctrl-C.
package main

import (
	"context"
	"os"

	"github.com/hiverun/hiverun/cli"
	"github.com/hiverun/hiverun/runner/exitcode"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// usageError is bad usage of the command line (exit 2).
type usageError = exitcode.Usage

func main() {
	os.Exit(run(os.Args[1:]))
}

// run is main without os.Exit, so that deferred work always happens and
// every error maps to one exit code, in cli.ExitCode.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(cli.Spellings(root, args))
	return cli.ExitCode(root.ExecuteContext(context.Background()), os.Stderr)
}
