package procfile

import (
	"strings"

	"github.com/mattn/go-shellwords"
)

// Exec says how to run a command without leaving a wrapper shell between
// hiverun and the program: either directly (Argv, plus leading VAR=value
// assignments in Env) or as `sh -c Script` where Script execs its last
// command, so signals and pids reach the real program.
type Exec struct {
	Argv   []string
	Env    []string // "KEY=value" from leading assignments of a direct command
	Script string   // set when a shell is needed
}

// shellBuiltins cannot be executed directly; a command starting with one
// keeps its shell.
var shellBuiltins = map[string]bool{
	"cd": true, "export": true, "exec": true, ".": true, "source": true, "set": true,
	"unset": true, "ulimit": true, "umask": true, "trap": true, "eval": true, "wait": true,
	"alias": true, "read": true, "shift": true, "if": true, "for": true, "while": true,
	"until": true, "case": true, "{": true, "!": true, "function": true, "exit": true,
	"return": true, ":": true, "true": true, "false": true, "test": true, "[": true,
	"local": true, "readonly": true,
}

// PlanExec decides how to run command.
func PlanExec(command string) Exec {
	if argv, env, ok := simpleCommand(command); ok {
		return Exec{Argv: argv, Env: env}
	}
	return Exec{Script: execLast(command)}
}

// simpleCommand accepts only words, quotes and leading assignments: nothing
// whose meaning needs a shell (expansion, globbing, operators, redirection).
func simpleCommand(command string) (argv, env []string, ok bool) {
	if strings.ContainsAny(command, "$`|&;<>(){}*?[]~#\\\n!") {
		return nil, nil, false
	}
	words, err := shellwords.Parse(command)
	if err != nil || len(words) == 0 {
		return nil, nil, false
	}
	i := 0
	for ; i < len(words) && isAssignment(words[i]); i++ {
		env = append(env, words[i])
	}
	if i == len(words) || shellBuiltins[words[i]] || strings.Contains(words[i], "=") {
		return nil, nil, false
	}
	return words[i:], env, true
}

func isAssignment(w string) bool {
	k, _, ok := strings.Cut(w, "=")
	return ok && nameRE.MatchString(k) && !strings.Contains(k, "-") && (k[0] < '0' || k[0] > '9')
}

// execLast rewrites "a && b; c" as "a && b; exec c" when the last command is
// a plain command in a plain list. Anything it does not fully understand
// (pipes, background jobs, subshells, compound commands, heredocs) is left
// alone: the shell then stays, which is always correct, only heavier.
func execLast(script string) string {
	last, bare, ok := lastCommand(script)
	if !ok {
		return script
	}
	words := strings.Fields(script[last:])
	assigns, ok := plainCommand(words)
	if !ok || hasKeyword(bare) {
		return script
	}
	return insertExec(script, last, words[:assigns])
}

// lastCommand scans script as the shell would split it into a list and
// returns where its last top-level command starts, with the script's
// quoted text blanked out (so that words like "do" inside quotes are not
// taken for keywords). ok is false for anything the scan does not fully
// understand.
func lastCommand(script string) (last int, bare []byte, ok bool) {
	inSingle, inDouble, escaped := false, false, false
	bare = []byte(script)
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case escaped:
			escaped = false
			bare[i] = 'x'
			continue
		case c == '\\' && !inSingle:
			escaped = true
			continue
		case inSingle:
			if c == '\'' {
				inSingle = false
			} else {
				bare[i] = 'x'
			}
			continue
		case inDouble:
			if c == '"' {
				inDouble = false
			} else if c == '`' || (c == '$' && i+1 < len(script) && script[i+1] == '(') {
				return 0, nil, false
			} else {
				bare[i] = 'x'
			}
			continue
		}
		switch c {
		case '\'':
			inSingle = true
		case '"':
			inDouble = true
		case '`', '(', ')', '{', '}', '\n', '<', '#':
			// '<' could be a heredoc; '#' a comment eating the rest of a line.
			return 0, nil, false
		case '|':
			if i+1 < len(script) && script[i+1] == '|' {
				// "a || b": b may not run, so it cannot be exec'd safely
				// unless it is the last, which it is when nothing follows.
				i++
				last = i + 1
				continue
			}
			return 0, nil, false
		case '&':
			if i+1 < len(script) && script[i+1] == '&' {
				i++
				last = i + 1
				continue
			}
			return 0, nil, false
		case ';':
			last = i + 1
		}
	}
	if inSingle || inDouble || escaped {
		return 0, nil, false
	}
	return last, bare, true
}

// plainCommand tells whether words are a command exec can replace the
// shell with: leading assignments (how many is returned), then a program
// that is not a shell builtin and not itself quoted or expanded.
func plainCommand(words []string) (assigns int, ok bool) {
	if len(words) == 0 {
		return 0, false
	}
	j := 0
	for j < len(words) && isAssignment(words[j]) && !strings.ContainsAny(words[j], "'\"") {
		j++
	}
	if j == len(words) || shellBuiltins[words[j]] || strings.ContainsAny(words[j], "=$'\"") {
		return 0, false
	}
	return j, true
}

// hasKeyword tells whether the unquoted script holds a compound command's
// keyword: its last command may be inside a loop or a branch.
func hasKeyword(bare []byte) bool {
	for _, kw := range []string{"do", "done", "then", "fi", "esac", "else", "elif", "in"} {
		for _, w := range strings.Fields(string(bare)) {
			if w == kw {
				return true
			}
		}
	}
	return false
}

// insertExec puts "exec" before the command word of the command starting
// at last, after its assignments, keeping the user's spacing elsewhere.
func insertExec(script string, last int, assigns []string) string {
	tail := script[last:]
	lead := len(tail) - len(strings.TrimLeft(tail, " \t"))
	pos := last + lead
	for _, a := range assigns {
		pos += len(a)
		rest := script[pos:]
		pos += len(rest) - len(strings.TrimLeft(rest, " \t"))
	}
	return script[:pos] + "exec " + script[pos:]
}
