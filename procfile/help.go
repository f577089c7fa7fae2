package procfile

import (
	_ "embed"
	"strings"
)

// helpText is kept next to the parser whose keys it describes, so that a
// new key and its paragraph change together (a test holds them to each
// other through `hiverun help procfile`).
//
//go:embed help.txt
var helpText string

// Help is the text of `hiverun help procfile`: the Procfile and every
// annotation key with its meaning and default.
func Help() string {
	// An editor's final newline is not part of the help.
	return strings.TrimSuffix(helpText, "\n")
}
