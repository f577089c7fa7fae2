package procfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// EnvFile is one parsed env file: its values and the line each came from.
type EnvFile struct {
	Path   string
	Values map[string]string
	Lines  map[string]int
}

// ReadEnvFile parses an env file.
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

// ParseEnv parses the contents of an env file named path. Values are
// taken literally, as foreman takes them (see parseDotenv).
func ParseEnv(path string, data []byte) (*EnvFile, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, &Error{File: path, Msg: "NUL byte: this is not a text file"}
	}
	return parseDotenv(path, string(data))
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

// Show writes every variable, sorted, with where its value came from, one
// a line (a value that would break the line is quoted). It is `hiverun
// env`'s, the one place hiverun prints values from env files.
func (e *Env) Show(w io.Writer) {
	for _, k := range SortedKeys(e.Values) {
		v := e.Values[k]
		if strings.ContainsAny(v, "\n\r\t\"'\\ #") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(w, "%s=%s\t# %s\n", k, v, e.Source[k])
	}
}

// Final is the environment the instance's process gets: its Env with the
// command's own leading assignments (`web: FOO=1 python3 app.py`) set on
// it, each from its Procfile line.
func (in *Instance) Final(file string) *Env {
	if len(in.Exec.Env) == 0 {
		return in.Env
	}
	e := in.Env.Clone()
	for _, kv := range in.Exec.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e.Set(k, v, fmt.Sprintf("%s:%d, its command", file, in.Proc.Line))
		}
	}
	return e
}
