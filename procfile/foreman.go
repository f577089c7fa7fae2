package procfile

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ForemanOption is one setting of a .foreman file.
type ForemanOption struct {
	Key   string
	Value string
	Line  int
}

// ForemanFileKeys are the .foreman settings hiverun takes, by foreman's
// option names (concurrency is formation's older name).
var ForemanFileKeys = []string{"procfile", "port", "formation", "concurrency", "env", "root", "timeout"}

var foremanKey = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*)\s*:(\s+(.*))?$`)

// ParseForemanFile reads foreman's option file. foreman loads it as YAML
// into its command-line options; the files that work with foreman are flat
// "key: value" mappings, which is what this reads: comments, a "---"
// document start, plain, 'single' and "double" quoted scalars. A key with
// no value is YAML's null, which leaves the option unset. Anything else
// (a nested mapping, a list) is an error with its line.
func ParseForemanFile(name string, data []byte) ([]ForemanOption, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, &Error{File: name, Msg: "NUL byte: this is not a text file"}
	}
	var out []ForemanOption
	for i, l := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") || t == "---" {
			continue
		}
		m := foremanKey.FindStringSubmatch(strings.TrimRight(l, " \t"))
		if m == nil {
			return nil, &Error{File: name, Line: i + 1, Msg: "expected key: value (foreman's options, e.g. port: 5000 or formation: all=1,web=2)"}
		}
		v, err := yamlScalar(m[3])
		if err != nil {
			return nil, &Error{File: name, Line: i + 1, Msg: fmt.Sprintf("%s: %v", m[1], err)}
		}
		if v == "" {
			continue
		}
		out = append(out, ForemanOption{Key: m[1], Value: v, Line: i + 1})
	}
	return out, nil
}

// yamlScalar reads one YAML scalar as written on a line.
func yamlScalar(v string) (string, error) {
	switch {
	case v == "" || v == "~" || v == "null":
		return "", nil
	case v[0] == '"':
		end := closingQuote(v[1:], '"')
		if end < 0 {
			return "", fmt.Errorf(`the " is never closed`)
		}
		s, err := strconv.Unquote(v[:end+2])
		if err != nil {
			return "", fmt.Errorf("bad escape in a double-quoted value")
		}
		return s, trailingComment(v[end+2:])
	case v[0] == '\'':
		// YAML writes a quote inside single quotes as ''.
		for i := 1; i < len(v); i++ {
			if v[i] != '\'' {
				continue
			}
			if i+1 < len(v) && v[i+1] == '\'' {
				i++
				continue
			}
			return strings.ReplaceAll(v[1:i], "''", "'"), trailingComment(v[i+1:])
		}
		return "", fmt.Errorf("the ' is never closed")
	case v[0] == '[' || v[0] == '{' || v[0] == '|' || v[0] == '>' || v[0] == '&' || v[0] == '*':
		return "", fmt.Errorf("expected a plain value, not YAML's %q", v[:1])
	}
	if i := commentStart(v); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

func trailingComment(rest string) error {
	rest = strings.TrimSpace(rest)
	if rest != "" && rest[0] != '#' {
		return fmt.Errorf("text after the closing quote")
	}
	return nil
}
