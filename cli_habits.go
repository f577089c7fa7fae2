package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// notACommand answers a first word that is neither a process of the
// Procfile nor a command of hiverun: a habit from foreman or overmind
// (ps, kill, connect) gets the command that does it here, and a word close
// to a command gets "did you mean". nil lets start go on, and report an
// unknown process as it always has: a process of the Procfile always wins,
// so `hiverun web` starts web even with a process named like a habit.
func notACommand(root *cobra.Command, g *globals, args []string) error {
	if len(args) == 0 {
		return nil
	}
	word, rest := args[0], args[1:]
	pf, err := g.parse()
	switch {
	case err == nil && pf.Lookup(word) != nil:
		return nil
	case err != nil && fileExists(g.procfilePath()):
		// A broken Procfile may well define word: its error comes first.
		return nil
	}
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
		s := closeCommands(root, word)
		if len(s) == 0 {
			return nil
		}
		tries := make([]string, len(s))
		for i, c := range s {
			tries[i] = with(c)
		}
		hint = "did you mean " + strings.Join(tries, " or ") + "?"
	}
	return &usageError{Msg: fmt.Sprintf("%s is not a command, nor a process in %s: %s", word, g.procfilePath(), hint)}
}

// closeCommands are the commands nearest to word: those one typo away
// (two for longer words; a swap of two letters is one), else those it
// begins. Short words need a closer match: "up" is one letter from "ui".
func closeCommands(root *cobra.Command, word string) []string {
	limit := min(2, len(word)/3)
	var best []string
	bestDist := limit + 1
	var prefixed []string
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() && c.Name() != "help" {
			continue
		}
		d := typos(strings.ToLower(word), c.Name())
		switch {
		case d > limit:
		case d < bestDist:
			best, bestDist = []string{c.Name()}, d
		case d == bestDist:
			best = append(best, c.Name())
		}
		if len(word) >= 2 && strings.HasPrefix(c.Name(), strings.ToLower(word)) {
			prefixed = append(prefixed, c.Name())
		}
	}
	if len(best) > 0 {
		return best
	}
	return prefixed
}

// typos is the optimal string alignment distance: insertions, deletions,
// substitutions and swaps of neighbours, each counting one.
func typos(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
