package procfile

import (
	"errors"
	"strings"
	"testing"
)

// TestEnvValuesLiteral: .env values are taken as foreman takes them: a '$'
// is never expanded, quotes follow foreman's rules.
func TestEnvValuesLiteral(t *testing.T) {
	src := "SECRET=abc$123def\n" +
		"REF=$HOME/data\n" +
		"BRACED=\"x${SECRET}y\"\n" +
		"SINGLE='it\\n$is'\n" +
		"DOUBLE=\"a\\nb \\\"q\\\" \\$c\"\n" +
		"export EXP=1 # a comment\n" +
		"HASH=a#b\n" +
		"SPACED = v  \n" +
		"YAML: y\n" +
		"MULTI=\"one\ntwo\"\n" +
		"AFTER=3\n" +
		"EMPTY=\n" +
		"URL=postgres://u:p@h/db?x=1\n"
	ef, err := ParseEnv(".env", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"SECRET": "abc$123def", "REF": "$HOME/data", "BRACED": "x${SECRET}y",
		"SINGLE": `it\n$is`, "DOUBLE": "a\nb \"q\" $c", "EXP": "1", "HASH": "a#b",
		"SPACED": "v", "YAML": "y", "MULTI": "one\ntwo", "AFTER": "3", "EMPTY": "",
		"URL": "postgres://u:p@h/db?x=1",
	}
	for k, v := range want {
		if got, ok := ef.Values[k]; !ok || got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(ef.Values) != len(want) {
		t.Errorf("values: %q", ef.Values)
	}
	if ef.Lines["AFTER"] != 12 || ef.Lines["MULTI"] != 10 || ef.Lines["SECRET"] != 1 {
		t.Errorf("lines: %v", ef.Lines)
	}
}

// TestEnvErrorsNameTheKey: a bad line names the key and the first bad
// character, never a value.
func TestEnvErrorsNameTheKey(t *testing.T) {
	cases := []struct{ src, want string }{
		{"A=1\nB=2\nDATABASE-URL=hunter2\n", `.env:3: DATABASE-URL: "-" is not allowed in a variable name`},
		{"MY KEY=hunter2\n", `.env:1: MY KEY: " " is not allowed in a variable name`},
		{"A=1\nnot a line hunter2\n", `.env:2: expected KEY=value: no "=" on this line`},
		{"=hunter2\n", `.env:1: expected KEY=value: no name before "="`},
		{"OK=1\nSECRET=\"hunter2\nMORE=3\n", `.env:2: SECRET: unterminated quoted value: the " after SECRET= is never closed`},
		{"SECRET='hunter2' hunter2\n", `.env:1: SECRET: text after the closing quote`},
		{"K\xffEY=hunter2\n", `.env:1: "K\xffEY": "\xff" is not allowed`},
	}
	for _, c := range cases {
		_, err := ParseEnv(".env", []byte(c.src))
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: err = %v", c.src, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q:\n got %s\nwant %s", c.src, err, c.want)
		}
	}
}
