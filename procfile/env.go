package procfile

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// EnvFile is one parsed env file: its values and the line each came from.
type EnvFile struct {
	Path   string
	Values map[string]string
	Lines  map[string]int
}

// ReadEnvFile parses a .env file with godotenv. A parse error names the
// line where the file stops making sense, which godotenv does not tell.
func ReadEnvFile(path string) (*EnvFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &Error{File: path, Msg: "env file not found"}
		}
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return ParseEnv(path, data)
}

// ParseEnv parses the contents of an env file named path.
func ParseEnv(path string, data []byte) (*EnvFile, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, &Error{File: path, Msg: "NUL byte: this is not a text file"}
	}
	values, err := godotenv.UnmarshalBytes(data)
	if err != nil {
		return nil, &Error{File: path, Line: badEnvLine(data), Msg: envMessage(err)}
	}
	ef := &EnvFile{Path: path, Values: values, Lines: map[string]int{}}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i, l := range lines {
		if k := envKey(l); k != "" {
			if _, ok := values[k]; ok {
				ef.Lines[k] = i + 1
			}
		}
	}
	return ef, nil
}

// envKey is the key a .env line sets ("export KEY=…", "KEY: …"), or "".
// Keys are matched as bytes: a regular expression built from a key would
// choke on one that is not valid UTF-8 (the fuzzer found that panic).
func envKey(line string) string {
	l := strings.TrimLeft(line, " \t")
	if rest, ok := strings.CutPrefix(l, "export"); ok && len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		l = strings.TrimLeft(rest, " \t")
	}
	i := strings.IndexAny(l, "=:")
	if i <= 0 {
		return ""
	}
	return strings.TrimRight(l[:i], " \t")
}

// envMessage keeps godotenv's reason but never its "near ..." excerpt,
// which would print the file's values (secrets) into an error.
func envMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, " near "); i >= 0 {
		msg = msg[:i]
	}
	if strings.HasPrefix(msg, "unterminated quoted value") {
		msg = "unterminated quoted value"
	}
	return "expected KEY=value: " + msg
}

// badEnvLine finds the first line from which every longer prefix of the
// file fails to parse: that is where the mistake is, even when a quoted
// value legitimately spans several lines before it.
func badEnvLine(data []byte) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	bad := 0
	for k := len(lines); k >= 1; k-- {
		if _, err := godotenv.UnmarshalBytes(bytes.Join(lines[:k], nil)); err == nil {
			break
		}
		bad = k
	}
	if bad == 0 {
		return 1
	}
	return bad
}

// Env is an environment built in layers, remembering where each value came
// from.
type Env struct {
	Values map[string]string
	Source map[string]string
}

// NewEnv starts from an inherited environment ("KEY=value" strings).
func NewEnv(inherited []string) *Env {
	e := &Env{Values: map[string]string{}, Source: map[string]string{}}
	for _, kv := range inherited {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		e.Values[k] = v
		e.Source[k] = "inherited"
	}
	return e
}

// Clone copies e.
func (e *Env) Clone() *Env {
	c := &Env{Values: make(map[string]string, len(e.Values)), Source: make(map[string]string, len(e.Source))}
	for k, v := range e.Values {
		c.Values[k] = v
	}
	for k, v := range e.Source {
		c.Source[k] = v
	}
	return c
}

// Set sets key from source.
func (e *Env) Set(key, value, source string) {
	e.Values[key] = value
	e.Source[key] = source
}

// Apply layers an env file over e: its values win, as in foreman.
func (e *Env) Apply(f *EnvFile) {
	for k, v := range f.Values {
		e.Set(k, v, fmt.Sprintf("%s:%d", f.Path, f.Lines[k]))
	}
}

// List returns the environment as "KEY=value" strings for exec.
func (e *Env) List() []string {
	out := make([]string, 0, len(e.Values))
	for k, v := range e.Values {
		out = append(out, k+"="+v)
	}
	return out
}
