package cli

import (
	"os"

	"github.com/mattn/go-isatty"
)

// Color tells whether to colour what is written to f: not with
// --no-color (noColor) or NO_COLOR set, nor when f is not a terminal.
// It is decided once, for the file actually written to.
func Color(noColor bool, f *os.File) bool {
	if noColor || os.Getenv("NO_COLOR") != "" {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
