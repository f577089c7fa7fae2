package procfile

import (
	"sort"
	"strings"
	"time"
)

// Settings is what an instance was started with, in a form that can be
// kept (memory.json) and compared with the Procfile as it is now: `up
// --detach` run again must compare against what the running stack was
// started with, not against a Procfile that may have been edited since.
//
// The environment is kept only as a hash: memory.json must never hold a
// .env value.
type Settings struct {
	Command  string        `json:"command"`
	Dir      string        `json:"dir"`
	Port     int           `json:"port"`
	Check    string        `json:"check,omitempty"`
	TTY      bool          `json:"tty,omitempty"`
	Restart  string        `json:"restart"`
	Grace    time.Duration `json:"grace"`
	Signal   string        `json:"signal"`
	Timeout  time.Duration `json:"timeout"`
	Delay    time.Duration `json:"delay,omitempty"`
	Optional bool          `json:"optional,omitempty"`
	Oneshot  bool          `json:"oneshot,omitempty"`
	Depends  []string      `json:"depends,omitempty"`
	Clean    []string      `json:"clean,omitempty"`
	Env      string        `json:"env_hash"`
}

// SettingsOf sums up how in is run.
func SettingsOf(in *Instance) Settings {
	_, env := sums(in)
	return settings(in, env)
}

func settings(in *Instance, envHash string) Settings {
	p := in.Proc
	s := Settings{
		Command: p.Command, Dir: in.Dir, Port: in.Port, Check: in.Check.String(), TTY: in.TTY,
		Restart: p.Restart, Grace: in.Grace, Signal: p.Signal, Timeout: p.Timeout, Delay: p.Delay,
		Optional: p.Optional, Oneshot: p.Oneshot,
		Depends: append([]string(nil), p.Depends...), Clean: append([]string(nil), in.Clean...),
	}
	if in.Env != nil {
		s.Env = envHash
	}
	return s
}

// settingKey is one setting: whether a running process can take a new
// value without being restarted, and how the value reads in a message.
type settingKey struct {
	name string
	// live: the supervisor only consults the setting when the process
	// exits or is stopped, so a new value can replace the old one while
	// the process runs. Every other setting shaped how the running process
	// was started or judged ready, and only a restart makes it true.
	live  bool
	equal func(a, b Settings) bool
	value func(s Settings) string // for live keys, as written in an annotation
}

// settingKeys lists every field of Settings, in the order messages name
// them. diff_test.go fails when a field of Settings is missing here.
var settingKeys = []settingKey{
	// What the process is: a new command, folder or environment is a new
	// process.
	{name: "command", equal: func(a, b Settings) bool { return a.Command == b.Command }},
	{name: "env", equal: func(a, b Settings) bool { return a.Env == b.Env }},
	{name: "dir", equal: func(a, b Settings) bool { return a.Dir == b.Dir }},
	// The process was told $PORT at start and listens there.
	{name: "port", equal: func(a, b Settings) bool { return a.Port == b.Port }},
	// Readiness was judged with the old check: the process is only known
	// ready under the new one once it boots with it.
	{name: "health", equal: func(a, b Settings) bool { return a.Check == b.Check }},
	// A pseudo-terminal or a pipe is chosen when the process starts.
	{name: "tty", equal: func(a, b Settings) bool { return a.TTY == b.TTY }},
	// Consulted when the process exits: the next exit follows the new one.
	{name: "restart", live: true, equal: func(a, b Settings) bool { return a.Restart == b.Restart },
		value: func(s Settings) string { return s.Restart }},
	// Grace and signal are consulted when the process is stopped.
	{name: "grace", live: true, equal: func(a, b Settings) bool { return a.Grace == b.Grace },
		value: func(s Settings) string { return FormatDuration(s.Grace) }},
	{name: "signal", live: true, equal: func(a, b Settings) bool { return a.Signal == b.Signal },
		value: func(s Settings) string { return s.Signal }},
	// Timeout, delay and clean govern the boot itself: whether the
	// process comes up under them is only known by booting it again.
	{name: "timeout", equal: func(a, b Settings) bool { return a.Timeout == b.Timeout }},
	{name: "delay", equal: func(a, b Settings) bool { return a.Delay == b.Delay }},
	// Whether its failure fails the stack is settled while it boots; a
	// process made required must prove it comes up.
	{name: "optional", equal: func(a, b Settings) bool { return a.Optional == b.Optional }},
	// A task and a service are started, judged and supervised differently.
	{name: "oneshot", equal: func(a, b Settings) bool { return a.Oneshot == b.Oneshot }},
	// It must start after its new dependencies are ready: the supervisor
	// restarts it once they are.
	{name: "depends", equal: func(a, b Settings) bool { return sameSet(a.Depends, b.Depends) }},
	{name: "clean", equal: func(a, b Settings) bool { return sameSet(a.Clean, b.Clean) }},
}

// sameSet compares lists whose order means nothing (depends, clean).
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// Change is what differs between how an instance was started and how the
// Procfile says to run it now.
type Change struct {
	// Keys are the changed settings, by annotation name ("command",
	// "env", "health", "grace"…), in a fixed order.
	Keys []string
	// Restart: a changed key takes effect only by restarting the process.
	// Otherwise every change applies live, to the running process.
	Restart bool
	// Live are the changed keys that apply live, with their new values as
	// an annotation writes them: "grace=10s", "restart=always". With
	// Restart they take effect with the restart.
	Live []string
	// Why is a reason to restart besides changed settings, set by the
	// caller: "not running", "after backend".
	Why string
}

// Diff tells what changed from old to new and whether that needs a
// restart.
func Diff(old, new Settings) Change {
	var c Change
	for _, k := range settingKeys {
		if k.equal(old, new) {
			continue
		}
		c.Keys = append(c.Keys, k.name)
		if k.live {
			c.Live = append(c.Live, k.name+"="+k.value(new))
		} else {
			c.Restart = true
		}
	}
	return c
}

// LiveKey tells whether a change of key applies to a running process.
func LiveKey(key string) bool {
	for _, k := range settingKeys {
		if k.name == key {
			return k.live
		}
	}
	return false
}

// Changed tells whether anything is to be done.
func (c Change) Changed() bool { return len(c.Keys) > 0 || c.Restart || c.Why != "" }

// String names the change the way messages do: "command changed" for a
// key that needs a restart, "grace=10s" for one that applies live, e.g.
// "command changed, env changed, grace=10s".
func (c Change) String() string {
	var parts []string
	if c.Why != "" {
		parts = append(parts, c.Why)
	}
next:
	for _, k := range c.Keys {
		for _, l := range c.Live {
			if strings.HasPrefix(l, k+"=") {
				parts = append(parts, l)
				continue next
			}
		}
		parts = append(parts, k+" changed")
	}
	return strings.Join(parts, ", ")
}

// InstanceChange is the change of one instance, under the name messages
// use for it (its Display name).
type InstanceChange struct {
	Name string
	Change
}

// StackChange is what a rerun does to a stack, one entry per instance.
type StackChange []InstanceChange

// String is the whole stack's change on one line, restarts first: e.g.
// "restarted worker (command changed), api (env changed); applied
// grace=10s to web, signal=INT to api", or "nothing changed".
func (s StackChange) String() string {
	var restarted, applied []string
	for _, ic := range s {
		switch {
		case !ic.Changed():
		case ic.Restart || ic.Why != "":
			r := ic.Name
			if why := ic.Change.String(); why != "" {
				r += " (" + why + ")"
			}
			restarted = append(restarted, r)
		default:
			// Several keys of one instance read as one annotation would.
			applied = append(applied, strings.Join(ic.Live, " ")+" to "+ic.Name)
		}
	}
	var parts []string
	if len(restarted) > 0 {
		parts = append(parts, "restarted "+strings.Join(restarted, ", "))
	}
	if len(applied) > 0 {
		parts = append(parts, "applied "+strings.Join(applied, ", "))
	}
	if len(parts) == 0 {
		return "nothing changed"
	}
	return strings.Join(parts, "; ")
}

// FormatDuration writes a duration the way an annotation would: "10s",
// "1m30s", "500ms", "2m" rather than Go's "2m0s".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
