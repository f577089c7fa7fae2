package procfile

import (
	"fmt"
	"io"
)

// PrintWarnings writes the lines foreman would drop, one FILE:LINE:
// warning each, so that a typo is never invisible.
func (pf *Procfile) PrintWarnings(w io.Writer) {
	for _, wr := range pf.Warnings {
		fmt.Fprintf(w, "%s:%d: warning: %s\n", pf.File, wr.Line, wr.Message)
	}
}
