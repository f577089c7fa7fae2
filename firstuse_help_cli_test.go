//go:build linux

package main_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hiverun/hiverun/procfile"
)

var updateHelp = flag.Bool("update-help", false, "rewrite the help golden files under testdata/help")

// helpPages are the help texts held by golden files: every command's, the
// root's and the procfile topic's. After a deliberate change:
// `go test -run TestHelpGolden . -update-help`, then read the diff.
var helpPages = map[string][]string{
	"root": {"--help"}, "procfile": {"help", "procfile"},
	"start": {"start", "--help"}, "check": {"check", "--help"}, "env": {"env", "--help"}, "run": {"run", "--help"},
	"status": {"status", "--help"}, "stop": {"stop", "--help"}, "restart": {"restart", "--help"}, "up": {"up", "--help"},
	"logs": {"logs", "--help"}, "history": {"history", "--help"}, "ui": {"ui", "--help"}, "version": {"version", "--help"},
	"export": {"export", "--help"}, "probe": {"probe", "--help"},
}

func TestHelpGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, args := range helpPages {
		r := hiverun(t, dir, nil, args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
			continue
		}
		path := filepath.Join("testdata", "help", name+".txt")
		if *updateHelp {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (run with -update-help to create it)", err)
			continue
		}
		if r.stdout != string(want) {
			t.Errorf("hiverun %s differs from %s (run with -update-help if the change is deliberate):\n%s",
				strings.Join(args, " "), path, lineDiff(string(want), r.stdout))
		}
	}
}

// lineDiff shows the first lines where got leaves want.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, wl, gl)
		}
	}
	return ""
}

// TestHelpProcfile: `hiverun help procfile` has a paragraph for every key
// the parser accepts (procfile.KeyNames, the same table the parser reads
// with: TestKeyNamesHaveReaders), each with its meaning and default;
// check --help points to it.
func TestHelpProcfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := hiverun(t, dir, nil, "help", "procfile")
	if r.code != 0 {
		t.Fatalf("help procfile: exit %d, %q", r.code, r.stderr)
	}
	blocks := map[string]string{}
	for _, b := range strings.Split(r.stdout, "\n\n") {
		first, rest, _ := strings.Cut(b, "\n")
		if strings.HasPrefix(first, "  ") && !strings.HasPrefix(first, "   ") {
			key, _, _ := strings.Cut(strings.TrimSpace(first), "=")
			blocks[key] = rest
		}
	}
	for _, k := range procfile.KeyNames() {
		b, ok := blocks[k]
		if !ok {
			t.Errorf("help procfile has no paragraph for %q", k)
			continue
		}
		meaning, def, ok := strings.Cut(b, "Default:")
		if !ok || strings.TrimSpace(meaning) == "" || strings.TrimSpace(def) == "" {
			t.Errorf("help procfile: %q needs a meaning and a Default: line:\n%s", k, b)
		}
	}
	if r := hiverun(t, dir, nil, "check", "--help"); !strings.Contains(r.stdout, "hiverun help procfile") {
		t.Errorf("check --help does not point to hiverun help procfile:\n%s", r.stdout)
	}
}

// TestHelpExitCodesAndStop: `hiverun --help` lists the exit codes (and
// only the root's help does); `stop --help` says what stop PROCESS does
// and that it is not a failure.
func TestHelpExitCodesAndStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := hiverun(t, dir, nil, "--help")
	_, codes, ok := strings.Cut(r.stdout, "\nExit codes:\n")
	if !ok {
		t.Fatalf("hiverun --help lists no exit codes:\n%s", r.stdout)
	}
	for _, c := range []string{"0", "1", "2", "3"} {
		if !regexp.MustCompile(`(?m)^  ` + c + `\s+\S`).MatchString(codes) {
			t.Errorf("exit code %s is not explained:\n%s", c, codes)
		}
	}
	if r := hiverun(t, dir, nil, "check", "--help"); strings.Contains(r.stdout, "Exit codes:") {
		t.Errorf("check --help repeats the exit codes")
	}
	r = hiverun(t, dir, nil, "stop", "--help")
	for _, want := range []string{"stop PROCESS... stops only those processes", "not a failure", "hiverun stop worker"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stop --help lacks %q:\n%s", want, r.stdout)
		}
	}
}
