package procfile

import (
	"fmt"
	"regexp"
	"strings"

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

// keyReaders is every annotation key and its reader (keys.go): the one
// place that says which keys exist, so messages, help and its test all
// read the same list.
var keyReaders = map[string]func(*Process, pair) error{
	"port": applyPort, "depends": applyDepends, "health": applyHealth,
	"timeout": applyDuration, "delay": applyDuration, "grace": applyDuration,
	"optional": applyFlag, "oneshot": applyFlag, "tty": applyFlag,
	"dir": applyDir, "restart": applyRestart, "signal": applySignal, "clean": applyClean,
}

// keyOrder is the order messages and help name the keys in.
var keyOrder = []string{"port", "depends", "health", "timeout", "delay", "optional", "oneshot", "dir", "restart", "signal", "grace", "clean", "tty"}

// KeyNames lists every annotation key, in the order help names them.
func KeyNames() []string { return append([]string(nil), keyOrder...) }

// Keys lists every annotation key, for messages.
var Keys = strings.Join(keyOrder, ", ")

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

// applyPair sets one key of p: each key has its own reader (keys.go), so what
// it accepts and how it says no are found in one place.
func applyPair(p *Process, kv pair) error {
	k := kv.key
	if read, ok := keyReaders[k]; ok {
		return read(p, kv)
	}
	hint := DidYouMean(keyOrder, k)
	if kv.hasValue {
		return fmt.Errorf("unknown key %q (known: %s)%s", Clip(k), Keys, hint)
	}
	return fmt.Errorf("unknown flag %q (known: %s)%s", Clip(k), Keys, hint)
}
