package procfile

import (
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// One reader per annotation key: each checks what it can without the
// instance (a value with a variable waits to be expanded) and sets its
// field of the Process.

// need says what a key that takes a value expects, with an example, when
// it was written as a bare flag or with nothing after the '='.
func (kv pair) need(example string) error {
	if !kv.hasValue || kv.value == "" {
		return fmt.Errorf("%s needs a value: %s=%s", kv.key, kv.key, example)
	}
	return nil
}

// applyPort takes a port number, or a value with a variable checked once
// it is expanded.
func applyPort(p *Process, kv pair) error {
	v := kv.value
	if err := kv.need("8000"); err != nil {
		return err
	}
	if !strings.Contains(v, "$") {
		if _, err := ParsePort(v); err != nil {
			return fmt.Errorf("port=%s: %v", v, err)
		}
	}
	p.Port = v
	return nil
}

// applyDepends takes a comma-separated list of process names; whether they
// exist is checked once the whole Procfile is read.
func applyDepends(p *Process, kv pair) error {
	v := kv.value
	if err := kv.need("redis,db"); err != nil {
		return err
	}
	for _, d := range strings.Split(v, ",") {
		d = strings.TrimSpace(d)
		if !nameRE.MatchString(d) {
			return fmt.Errorf("depends=%s: %q is not a process name", v, d)
		}
		p.Depends = append(p.Depends, d)
	}
	return nil
}

// applyHealth takes a readiness check; one with a variable is parsed again
// once expanded.
func applyHealth(p *Process, kv pair) error {
	v := kv.value
	if err := kv.need("/health, tcp, tcp://host:port, http://host:port/path or \"exec:CMD\""); err != nil {
		return err
	}
	if _, err := ParseCheck(v, 1); err != nil && !strings.Contains(v, "$") {
		return err
	}
	p.Health = v
	return nil
}

// applyDuration takes timeout, delay or grace; a timeout of 0 would fail
// every start, so it is refused.
func applyDuration(p *Process, kv pair) error {
	k, v := kv.key, kv.value
	if err := kv.need("2s"); err != nil {
		return err
	}
	d, err := ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%s=%s: %v", k, v, err)
	}
	switch k {
	case "timeout":
		if d == 0 {
			return fmt.Errorf("timeout=%s: must be more than 0", v)
		}
		p.Timeout = d
	case "delay":
		p.Delay = d
	default:
		p.Grace, p.GraceSet = d, true
	}
	return nil
}

// applyFlag takes optional, oneshot or tty: alone it means true, and an
// explicit true or false is accepted too.
func applyFlag(p *Process, kv pair) error {
	k, v := kv.key, kv.value
	b := true
	if kv.hasValue {
		var err error
		if b, err = strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%s is a flag: write it alone (or %s=true / %s=false), not %s=%s", k, k, k, k, v)
		}
	}
	switch k {
	case "optional":
		p.Optional = b
	case "oneshot":
		p.Oneshot = b
	default:
		p.TTY = b
	}
	return nil
}

// applyDir takes a folder inside the project.
func applyDir(p *Process, kv pair) error {
	v := kv.value
	if err := kv.need("./web"); err != nil {
		return err
	}
	if err := insideProject(v); err != nil {
		return fmt.Errorf("dir=%s: %v", v, err)
	}
	p.Dir = v
	return nil
}

// applyRestart takes one of the three restart policies.
func applyRestart(p *Process, kv pair) error {
	v := kv.value
	switch v {
	case RestartNo, RestartOnFailure, RestartAlways:
		p.Restart = v
	default:
		return fmt.Errorf("restart=%s: expected on-failure, always or no", v)
	}
	return nil
}

// applySignal takes a stop signal by name, with or without SIG.
func applySignal(p *Process, kv pair) error {
	s, err := ParseSignal(kv.value)
	if err != nil {
		return fmt.Errorf("signal=%s: %v", kv.value, err)
	}
	p.Signal = s
	return nil
}

// applyClean takes space-separated globs inside the project, removed
// before each start.
func applyClean(p *Process, kv pair) error {
	v := kv.value
	if err := kv.need("\"tmp/*.pid\""); err != nil {
		return err
	}
	for _, g := range strings.Fields(v) {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("clean=%s: bad pattern %q", v, g)
		}
		if err := insideProject(g); err != nil {
			return fmt.Errorf("clean=%s: %v", v, err)
		}
		p.Clean = append(p.Clean, g)
	}
	return nil
}

// insideProject rejects a path that could leave the project folder. Paths
// with variables are checked again once expanded.
func insideProject(v string) error {
	if filepath.IsAbs(v) || strings.HasPrefix(v, "~") {
		return fmt.Errorf("must be a path relative to the project folder")
	}
	c := filepath.Clean(v)
	if c == ".." || strings.HasPrefix(c, ".."+string(filepath.Separator)) || strings.HasPrefix(c, "../") {
		return fmt.Errorf("leaves the project folder")
	}
	return nil
}

// ParseDuration reads a Go duration or a bare number of seconds.
func ParseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > 1e6 {
			return 0, fmt.Errorf("expected a duration between 0 and 1e6 seconds")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("expected a duration like 500ms, 2s or 1m")
	}
	if d < 0 {
		return 0, fmt.Errorf("expected a duration that is not negative")
	}
	return d, nil
}

// ParsePort reads a TCP port number.
func ParsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("expected a port number")
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port out of range 1-65535")
	}
	return n, nil
}

var signals = map[string]bool{
	"TERM": true, "INT": true, "HUP": true, "QUIT": true, "KILL": true,
	"USR1": true, "USR2": true, "WINCH": true, "ABRT": true,
}

// ParseSignal accepts TERM, SIGTERM or sigterm and returns "TERM".
func ParseSignal(s string) (string, error) {
	u := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if !signals[u] {
		return "", fmt.Errorf("expected one of TERM, INT, HUP, QUIT, KILL, USR1, USR2, WINCH, ABRT")
	}
	return u, nil
}
