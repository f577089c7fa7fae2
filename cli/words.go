// Package cli is the command line's own vocabulary, apart from what the
// commands do: the words users bring from other tools (foreman's -d,
// tail's -f, overmind's ps and kill), "did you mean" for a mistyped
// command, and flag mistakes said in the user's words. Its functions are
// pure: a word or the arguments, and the command tree, in; a message or
// rewritten arguments out. It knows neither the Procfile nor the runner;
// package main alone decides what to do with what it says.
package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hiverun/hiverun/procfile"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// NotACommand says what to type instead of word, a first argument that is
// neither a command nor a process of procfile: a habit from foreman or
// overmind (ps, kill, connect) gets the command that does it here, and a
// word close to a command gets "did you mean". It is "" when it has
// nothing to suggest. commands are the command names to suggest from.
func NotACommand(word string, rest, commands []string, procfileName string) string {
	with := func(cmd string) string { return strings.Join(append([]string{"hiverun", cmd}, rest...), " ") }
	var hint string
	switch word {
	case "ps":
		hint = "use " + with("status")
	case "kill", "quit":
		hint = "use " + with("stop")
	case "connect", "attach", "echo":
		if len(rest) == 0 {
			rest = []string{"NAME"}
		}
		hint = "use " + with("logs -f") + " (the output of a detached stack)"
	default:
		s := procfile.Nearest(commands, word)
		if len(s) == 0 {
			return ""
		}
		tries := make([]string, len(s))
		for i, c := range s {
			tries[i] = with(c)
		}
		hint = "did you mean " + strings.Join(tries, " or ") + "?"
	}
	return fmt.Sprintf("%s is not a command, nor a process in %s: %s", word, procfileName, hint)
}

// Commands are the names of root's commands a user may be pointed to:
// those it lists, and help.
func Commands(root *cobra.Command) []string {
	var out []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			out = append(out, c.Name())
		}
	}
	return out
}

// FlagMessage says a flag mistake in the user's words: a malformed number
// is `--port abc: not a number`, not strconv's sentence.
func FlagMessage(err error) string {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		f := iv.GetFlag()
		switch f.Value.Type() {
		case "int", "int64", "uint", "uint16", "float64":
			return fmt.Sprintf("--%s %s: not a number", f.Name, iv.GetValue())
		}
	}
	return err.Error()
}
