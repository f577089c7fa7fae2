package procfile

import (
	"errors"
	"fmt"
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

// TestAnnotationErrorsNameTheValue: an unbalanced quote says which value
// is unterminated; a dropped line under an annotation says why foreman
// drops it.
func TestAnnotationErrorsNameTheValue(t *testing.T) {
	cases := []struct {
		src  string
		line int
		want string
	}{
		{"# hiverun: port=8000 health=\"exec:redis-cli ping\nweb: x\n", 1,
			`annotation: the value of health is unterminated: health="exec:redis-cli ping has no closing " (check the quotes)`},
		{"# hiverun: optional clean='tmp/*.pid  port=1\nweb: x\n", 1, `the value of clean is unterminated: clean='tmp/*.pid  port=1 has no closing '`},
		{"# hiverun: \"optional\nweb: x\n", 1, `annotation: "optional has no closing "`},
		{"# hiverun: port=8000\nweb.1: x\n", 1, `line 2 is not one: invalid process name "web.1", foreman ignores this line`},
		{"# hiverun: port=8000\n  web: x\n", 1, `line 2 is not one: line starts with blanks, foreman ignores it`},
	}
	for _, c := range cases {
		_, err := Parse("Procfile", strings.NewReader(c.src))
		var pe *Error
		if !errors.As(err, &pe) || pe.Line != c.line || !strings.Contains(pe.Msg, c.want) {
			t.Errorf("%q:\n got %v\nwant line %d: %s", c.src, err, c.line, c.want)
		}
	}
}

// TestByteOrderMark: the first process still runs, and line 1 warns that
// foreman drops it.
func TestByteOrderMark(t *testing.T) {
	pf := mustParse(t, "\uFEFFweb: x\nworker: y\n")
	if len(pf.Processes) != 2 || pf.Processes[0].Name != "web" {
		t.Fatalf("processes: %+v", pf.Processes)
	}
	if len(pf.Warnings) != 1 || pf.Warnings[0].Line != 1 || !strings.Contains(pf.Warnings[0].Message, "byte-order mark: foreman drops this line") {
		t.Fatalf("warnings: %+v", pf.Warnings)
	}
	if pf := mustParse(t, "\uFEFF# hiverun: port=8000\nweb: x\n"); len(pf.Warnings) != 0 || pf.Processes[0].Port != "8000" {
		t.Errorf("a comment on line 1 loses nothing in foreman: %+v", pf.Warnings)
	}
}

// TestParseForemanFile: foreman's option file as the YAML it is written in.
func TestParseForemanFile(t *testing.T) {
	opts, err := ParseForemanFile(".foreman", []byte("---\n# c\nport: 5000 # base\nformation: \"all=1,web=2\"\nenv: '.env,it''s.env'\nroot:\nprocfile: ~\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range opts {
		got = append(got, fmt.Sprintf("%d %s=%s", o.Line, o.Key, o.Value))
	}
	want := []string{"3 port=5000", "4 formation=all=1,web=2", "5 env=.env,it's.env"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("options %q, want %q", got, want)
	}
	for src, line := range map[string]int{"port: 1\n  nested: x\n": 2, "- a\n": 1, "env: [a, b]\n": 1, "env: \"a\n": 1, "port 5000\n": 1} {
		_, err := ParseForemanFile(".foreman", []byte(src))
		var pe *Error
		if !errors.As(err, &pe) || pe.Line != line {
			t.Errorf("%q: %v, want an error on line %d", src, err, line)
		}
	}
}

func FuzzParseForemanFile(f *testing.F) {
	for _, s := range []string{"port: 5000\n", "---\nenv: '.env,x''y'\nformation: \"all=1\" # c\n", "root:\n  - x\n", "timeout: \"\\q\"\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		opts, err := ParseForemanFile(".foreman", []byte(src))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || strings.Contains(pe.Msg, "\n") || pe.Line < 1 && !strings.Contains(pe.Msg, "NUL") {
				t.Fatalf("error %T %q", err, err)
			}
			return
		}
		for _, o := range opts {
			if o.Key == "" || o.Value == "" || o.Line < 1 {
				t.Fatalf("option %+v", o)
			}
		}
	})
}

// TestKeyNamesHaveReaders: the keys help and messages name are the keys
// the parser reads, no more and no fewer.
func TestKeyNamesHaveReaders(t *testing.T) {
	names := KeyNames()
	if len(names) != len(keyReaders) {
		t.Fatalf("%d names, %d readers", len(names), len(keyReaders))
	}
	for _, k := range names {
		if keyReaders[k] == nil {
			t.Errorf("%s is named but has no reader", k)
		}
	}
}

// TestMisspeltAnnotationWarned: a comment meant as an annotation but
// misspelt is a warning (check --strict fails on it); it was dropped
// without a word, and with it the port.
func TestMisspeltAnnotationWarned(t *testing.T) {
	for _, c := range []string{"# hiverun port=8881", "# Hiverun: port=8881", "# hivrun: port=8881", "#hiverrun: port=8881", "# HIVERUN port=1"} {
		pf, err := Parse("Procfile", strings.NewReader(c+"\na: sleep 300\n"))
		if err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		if len(pf.Warnings) != 1 || pf.Warnings[0].Line != 1 || !strings.Contains(pf.Warnings[0].Message, "looks like a hiverun annotation") {
			t.Errorf("%q: warnings %+v", c, pf.Warnings)
		}
	}
	for _, c := range []string{"# the web server", "# hello there", "# heaven", "# hiverun: port=8881"} {
		pf, err := Parse("Procfile", strings.NewReader(c+"\na: sleep 300\n"))
		if err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		if len(pf.Warnings) != 0 {
			t.Errorf("%q: warned %+v", c, pf.Warnings)
		}
	}
}
