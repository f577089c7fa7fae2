package cli

import (
	"embed"
	"strings"
)

// helpFiles hold each command's long help (NAME.txt) and examples
// (NAME.example.txt), hiverun's own as hiverun.txt: prose, edited and
// reviewed as prose, apart from the wiring of flags.
//
//go:embed help/*.txt
var helpFiles embed.FS

// Help is the text of help/NAME.txt, without the editor's final newline.
func Help(name string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		// Only a misspelt name gets here, and the help golden test fails on it.
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}
