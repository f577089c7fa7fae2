package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Spellings rewrites the short options that mean something else in one
// command, before cobra reads them:
//
//   - -d is --root, as foreman spells it, except in a command with a -d
//     of its own: up, where it is --detach as in docker compose;
//   - in logs, -f is --follow as in tail, elsewhere --procfile;
//   - process names may be one comma-separated list (restart web,worker),
//     as --with and -m take them.
//
// It walks the arguments as cobra does (flags, their values, the command
// words) so that a flag's value is never taken for a command, and it
// leaves alone everything after `--` and, in run, everything from the
// command on: those belong to the command (`hiverun run psql -d app`).
func Spellings(root *cobra.Command, args []string) []string {
	out := make([]string, 0, len(args))
	cmd, positional := root, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if !positional {
				if sub := subcommand(cmd, a); sub != nil {
					cmd = sub
					out = append(out, a)
					continue
				}
			}
			positional = true
			if cmd.Name() == "run" {
				return append(out, args[i:]...)
			}
			if namesProcesses(cmd) && strings.Contains(a, ",") {
				// restart web,worker: as --with and -m take names.
				for _, n := range strings.Split(a, ",") {
					if n != "" {
						out = append(out, n)
					}
				}
				continue
			}
			out = append(out, a)
			continue
		}
		ownD := cmd.Flags().ShorthandLookup("d") != nil
		switch {
		case a == "-d" && !ownD:
			a = "--root"
		case strings.HasPrefix(a, "-d=") && !ownD:
			a = "--root=" + a[len("-d="):]
		case a == "-f" && cmd.Name() == "logs":
			a = "--follow"
		}
		out = append(out, a)
		if takesNext(cmd, a) && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

// namesProcesses tells whether cmd's arguments are process names, which
// may also be written as one comma-separated list.
func namesProcesses(cmd *cobra.Command) bool {
	if !cmd.HasParent() {
		return true // hiverun web,worker
	}
	switch cmd.Name() {
	case "stop", "restart", "logs", "start", "check":
		return true
	}
	return false
}

// subcommand is cmd's subcommand named (or aliased) word, if any.
func subcommand(cmd *cobra.Command, word string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == word || c.HasAlias(word) {
			return c
		}
	}
	return nil
}

// takesNext tells whether flag a (as written) takes the next argument as
// its value: a flag that needs a value and was not given one with = or
// glued to its shorthand (-p5000).
func takesNext(cmd *cobra.Command, a string) bool {
	var f *pflag.Flag
	if name, ok := strings.CutPrefix(a, "--"); ok {
		if strings.Contains(name, "=") {
			return false
		}
		f = lookupFlag(cmd, name, "")
	} else {
		short := a[1:]
		if len(short) != 1 {
			return false
		}
		f = lookupFlag(cmd, "", short)
	}
	return f != nil && f.NoOptDefVal == ""
}

// lookupFlag finds a flag of cmd or one it inherits, by name or shorthand.
func lookupFlag(cmd *cobra.Command, name, short string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.InheritedFlags()} {
		if name != "" {
			if f := fs.Lookup(name); f != nil {
				return f
			}
		} else if f := fs.ShorthandLookup(short); f != nil {
			return f
		}
	}
	return nil
}
