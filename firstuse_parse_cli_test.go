//go:build linux

package main_test

import (
	"strings"
	"testing"
)

// TestEnvTakenLiterally: .env values reach the processes as written, '$'
// included, in the stack and in `run` (foreman's engine spec).
func TestEnvTakenLiterally(t *testing.T) {
	dir := project(t, map[string]string{
		"Procfile": "# hiverun: oneshot\nshow: printf '%s|%s|%s\\n' \"$SECRET\" \"$REF\" \"$QUOTED\"\n",
		".env":     "SECRET=abc$123def\nREF=$HOME/data\nQUOTED=\"a $SECRET\"\n",
	})
	r := hiverun(t, dir, nil, "--no-color", "--no-timestamp")
	if r.code != 0 || !strings.Contains(r.stdout, "show    | abc$123def|$HOME/data|a $SECRET\n") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, nil, "run", "--", "sh", "-c", `printf '%s|%s\n' "$SECRET" "$REF"`)
	if r.code != 0 || r.stdout != "abc$123def|$HOME/data\n" {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestEnvErrorNamesKey: a bad .env line names the key and the bad
// character; the value never appears.
func TestEnvErrorNamesKey(t *testing.T) {
	for _, c := range []struct{ env, want string }{
		{"A=1\nB=2\nDATABASE-URL=postgres://u:hunter2@db/app\n", `.env:3: DATABASE-URL: "-" is not allowed in a variable name`},
		{"MY KEY=hunter2\n", `.env:1: MY KEY: " " is not allowed in a variable name`},
		{"A=1\nTOKEN=\"hunter2\n", `.env:2: TOKEN: unterminated quoted value`},
	} {
		dir := project(t, map[string]string{"Procfile": "web: sleep 1\n", ".env": c.env})
		for _, args := range [][]string{{"check"}, {}} {
			r := hiverun(t, dir, nil, args...)
			if r.code != 2 || !strings.HasPrefix(r.stderr, c.want) || strings.Contains(r.stderr, "hunter2") || r.stdout != "" {
				t.Errorf("%v with %q: exit %d, stderr %q, want %q", args, c.env, r.code, r.stderr, c.want)
			}
		}
	}
}
