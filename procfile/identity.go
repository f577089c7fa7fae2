package procfile

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
)

// What makes two resolutions of an instance the same: its fingerprint,
// and the variables that never count in it.

// Fingerprint sums up how an instance is run.
func Fingerprint(in *Instance) string {
	fp, _ := sums(in)
	return fp
}

// Identity is Fingerprint(in) and SettingsOf(in) at once, the environment
// read once for both: what the journal records of every instance it is
// given.
func Identity(in *Instance) (fingerprint string, s Settings) {
	fp, env := sums(in)
	return fp, settings(in, env)
}

// sums are the fingerprint (command, folder, port, check, tty, then the
// environment as KEY=value NUL in key order, without the terminal's
// variables) and the settings' env hash (the same environment without
// PORT and PS, which follow the port and the instance name: a port edit
// reads "port changed", not also "env changed"). Both inputs are cut from
// one buffer, hashed whole: hashing each variable through fmt, then
// through its own Write, had each been a tenth of the supervisor's CPU
// before 100 processes could start.
func sums(in *Instance) (fingerprint, env string) {
	check := in.Check.String()
	buf := sumsBufs.Get().(*[]byte)
	defer sumsBufs.Put(buf)
	b := (*buf)[:0]
	b = append(b, in.Proc.Command...)
	b = append(b, 0)
	b = append(b, in.Dir...)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(in.Port), 10)
	b = append(b, 0)
	b = append(b, check...)
	b = append(b, 0)
	b = strconv.AppendBool(b, in.TTY)
	b = append(b, 0)
	envAt := len(b)
	var own [2][2]int // where PORT and PS are in b
	n := 0
	if in.Env != nil {
		for _, k := range in.Env.Keys() {
			if TerminalVar(k) {
				continue
			}
			at := len(b)
			b = append(b, k...)
			b = append(b, '=')
			b = append(b, in.Env.Values[k]...)
			b = append(b, 0)
			if k == "PORT" || k == "PS" {
				own[n] = [2]int{at, len(b)}
				n++
			}
		}
	}
	fp := sha256.Sum256(b)
	e := b[envAt:envAt]
	from := envAt
	for _, o := range own[:n] {
		e = append(e, b[from:o[0]]...)
		from = o[1]
	}
	// Appending over b's own bytes, never ahead of them: e only shrinks.
	e = append(e, b[from:]...)
	es := sha256.Sum256(e)
	if cap(b) <= 64<<10 {
		*buf = b
	}
	return hex.EncodeToString(fp[:8]), hex.EncodeToString(es[:8])
}

// sumsBufs hold sums' buffers: on the stack, one of a few kB made the
// goroutine of every instance that recorded its start grow its stack.
var sumsBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

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
