package procfile

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-shellwords"
)

type pair struct {
	key, value string
	hasValue   bool
}

type annotation struct {
	line  int
	pairs []pair
}

// parseAnnotation splits the words after "hiverun:" like a shell would, but
// expands nothing: variables are expanded per instance, once PORT is known.
func parseAnnotation(words string) ([]pair, error) {
	p := shellwords.NewParser()
	p.ParseEnv = false
	p.ParseBacktick = false
	list, err := p.Parse(words)
	if err != nil {
		if word, q, ok := unclosedQuote(words); ok {
			if k, _, isPair := strings.Cut(word, "="); isPair && !strings.ContainsAny(k, `"'`) {
				return nil, fmt.Errorf("annotation: the value of %s is unterminated: %s has no closing %c (check the quotes)", k, word, q)
			}
			return nil, fmt.Errorf("annotation: %s has no closing %c (check the quotes)", word, q)
		}
		return nil, fmt.Errorf("annotation: %s (check the quotes)", strings.TrimPrefix(err.Error(), "invalid command line string"))
	}
	if p.Position >= 0 {
		// shellwords stops at ; | & and friends, which an annotation never needs.
		return nil, fmt.Errorf("annotation: unexpected %q; quote values that contain shell operators", strings.TrimSpace(words[p.Position:]))
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("empty annotation: expected key=value pairs or flags after 'hiverun:'")
	}
	out := make([]pair, 0, len(list))
	for _, w := range list {
		k, v, ok := strings.Cut(w, "=")
		out = append(out, pair{key: k, value: v, hasValue: ok})
	}
	return out, nil
}

// unclosedQuote finds the word whose quote is never closed, as a shell
// reads quotes: the word runs from its start to the end of the line.
func unclosedQuote(words string) (word string, quote byte, ok bool) {
	start := -1
	var q byte
	for i := 0; i < len(words); i++ {
		c := words[i]
		switch {
		case q == 0 && (c == ' ' || c == '\t'):
			start = -1
			continue
		case start < 0:
			start = i
		}
		switch {
		case c == '\\' && q != '\'':
			i++
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case c == q:
			q = 0
		}
	}
	if q == 0 || start < 0 {
		return "", 0, false
	}
	return strings.TrimRight(words[start:], " \t"), q, true
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Keys lists every annotation key, for messages.
const Keys = "port, depends, health, timeout, delay, optional, oneshot, dir, restart, signal, grace, clean, tty"

func applyAnnotation(p *Process, a annotation) error {
	for _, kv := range a.pairs {
		if prev, dup := p.keyLines[kv.key]; dup {
			return fmt.Errorf("%s is already set on line %d", kv.key, prev)
		}
		if err := applyPair(p, kv); err != nil {
			return err
		}
		p.keyLines[kv.key] = a.line
	}
	return nil
}

func applyPair(p *Process, kv pair) error {
	k, v := kv.key, kv.value
	needValue := func(what string) error {
		if !kv.hasValue || v == "" {
			return fmt.Errorf("%s needs a value: %s=%s", k, k, what)
		}
		return nil
	}
	switch k {
	case "port":
		if err := needValue("8000"); err != nil {
			return err
		}
		if !strings.Contains(v, "$") {
			if _, err := ParsePort(v); err != nil {
				return fmt.Errorf("port=%s: %v", v, err)
			}
		}
		p.Port = v
	case "depends":
		if err := needValue("redis,db"); err != nil {
			return err
		}
		for _, d := range strings.Split(v, ",") {
			d = strings.TrimSpace(d)
			if !nameRE.MatchString(d) {
				return fmt.Errorf("depends=%s: %q is not a process name", v, d)
			}
			p.Depends = append(p.Depends, d)
		}
	case "health":
		if err := needValue("/health, tcp, tcp://host:port, http://host:port/path or \"exec:CMD\""); err != nil {
			return err
		}
		if _, err := ParseCheck(v, 1); err != nil && !strings.Contains(v, "$") {
			return err
		}
		p.Health = v
	case "timeout", "delay", "grace":
		if err := needValue("2s"); err != nil {
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
	case "optional", "oneshot", "tty":
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
	case "dir":
		if err := needValue("./web"); err != nil {
			return err
		}
		if err := insideProject(v); err != nil {
			return fmt.Errorf("dir=%s: %v", v, err)
		}
		p.Dir = v
	case "restart":
		switch v {
		case RestartNo, RestartOnFailure, RestartAlways:
			p.Restart = v
		default:
			return fmt.Errorf("restart=%s: expected on-failure, always or no", v)
		}
	case "signal":
		s, err := ParseSignal(v)
		if err != nil {
			return fmt.Errorf("signal=%s: %v", v, err)
		}
		p.Signal = s
	case "clean":
		if err := needValue("\"tmp/*.pid\""); err != nil {
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
	default:
		if kv.hasValue {
			return fmt.Errorf("unknown key %q (known: %s)", k, Keys)
		}
		return fmt.Errorf("unknown flag %q (known: %s)", k, Keys)
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
