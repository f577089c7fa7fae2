package procfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// What makes two resolutions of an instance the same: its fingerprint,
// and the variables that never count in it.

// Fingerprint sums up how an instance is run.
func Fingerprint(in *Instance) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00%v\x00", in.Proc.Command, in.Dir, in.Port, in.Check, in.TTY)
	hashEnv(h, in.Env, TerminalVar)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// terminalVars are set by the shell or the terminal for each command or
// window: two terminals, a tmux pane and an ssh session all differ in
// them. A stack started from one and run again from another has not
// changed, and its processes are not restarted for them.
var terminalVars = map[string]bool{
	"_": true, "OLDPWD": true, "PWD": true, "SHLVL": true,
	"TERM": true, "COLORTERM": true, "TERM_PROGRAM": true, "TERM_PROGRAM_VERSION": true, "TERM_SESSION_ID": true,
	"TMUX": true, "TMUX_PANE": true, "STY": true, "WINDOW": true, "WINDOWID": true, "VTE_VERSION": true,
	"COLUMNS": true, "LINES": true, "GPG_TTY": true, "SSH_CLIENT": true, "SSH_CONNECTION": true, "SSH_TTY": true,
	"ITERM_SESSION_ID": true, "ITERM_PROFILE": true, "WT_SESSION": true, "WT_PROFILE_ID": true,
	"KONSOLE_VERSION": true, "KONSOLE_DBUS_SESSION": true, "KONSOLE_DBUS_SERVICE": true, "KONSOLE_DBUS_WINDOW": true,
	"XDG_SESSION_ID": true, "XDG_VTNR": true,
}

// TerminalVar tells whether k is set per terminal or per command by the
// shell, and so says nothing about the stack's configuration.
func TerminalVar(k string) bool { return terminalVars[k] }

// hashEnv writes values into h in key order as KEY=value NUL, leaving out
// the keys skip says. Written directly, not through fmt: a boot of 100
// processes hashes each environment twice, and fmt made that a tenth of
// the supervisor's CPU before the first process started.
func hashEnv(h io.Writer, env *Env, skip func(string) bool) {
	b := make([]byte, 0, 4096)
	values := env.Values
	for _, k := range env.Keys() {
		if skip(k) {
			continue
		}
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, values[k]...)
		b = append(b, 0)
	}
	h.Write(b)
}
