package procfile

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
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

	// keys are Values' keys in order, kept by NewEnv, Clone and Set: every
	// instance of a plan is the plan's environment and a few more, and
	// sorting each one's again (for its identity sums and its list) was
	// most of resolving 100 instances. The slice is shared by clones and
	// never changed in place.
	keys []string
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
	e.keys = SortedKeys(e.Values)
	return e
}

// Clone copies e.
func (e *Env) Clone() *Env {
	return &Env{Values: maps.Clone(e.Values), Source: maps.Clone(e.Source), keys: e.keys}
}

// Set sets key from source.
func (e *Env) Set(key, value, source string) {
	if _, had := e.Values[key]; !had && len(e.keys) == len(e.Values) {
		i, _ := slices.BinarySearch(e.keys, key)
		e.keys = slices.Insert(slices.Clip(e.keys), i, key)
	}
	e.Values[key] = value
	e.Source[key] = source
}

// Keys are the variables' names in order.
func (e *Env) Keys() []string {
	if len(e.keys) != len(e.Values) {
		// Values was filled directly (a literal Env): never cached here,
		// so that reading stays free of writes.
		return SortedKeys(e.Values)
	}
	return e.keys
}

// Apply layers an env file over e: its values win, as in foreman.
func (e *Env) Apply(f *EnvFile) {
	for k, v := range f.Values {
		e.Set(k, v, fmt.Sprintf("%s:%d", f.Path, f.Lines[k]))
	}
}

// List returns the environment as "KEY=value" strings for exec, in key
// order, cut from one string: one allocation, not one a variable.
func (e *Env) List() []string {
	keys := e.Keys()
	size := 0
	for _, k := range keys {
		size += len(k) + 1 + len(e.Values[k])
	}
	var b strings.Builder
	b.Grow(size)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(e.Values[k])
	}
	all, at := b.String(), 0
	out := make([]string, len(keys))
	for i, k := range keys {
		n := len(k) + 1 + len(e.Values[k])
		out[i] = all[at : at+n]
		at += n
	}
	return out
}

// Show writes every variable, sorted, with where its value came from, one
// a line (a value that would break the line is quoted). It is `hiverun
// env`'s, the one place hiverun prints values from env files.
func (e *Env) Show(w io.Writer) {
	for _, k := range e.Keys() {
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
