//go:build linux

package main_test

import (
	"strings"
	"testing"
)

// TestHabitsFromOtherRunners: the words a foreman or overmind user types
// get the hiverun command that does it, a typo of a command gets "did you
// mean", both exit 2 without starting anything, and a process of the
// Procfile with such a name still starts.
func TestHabitsFromOtherRunners(t *testing.T) {
	dir := project(t, map[string]string{"Procfile": "web: sleep 30\n"})
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"ps"}, "use hiverun status"},
		{[]string{"kill", "web"}, "use hiverun stop web"},
		{[]string{"kill"}, "use hiverun stop"},
		{[]string{"connect", "web"}, "use hiverun logs -f web"},
		{[]string{"attach"}, "use hiverun logs -f NAME"},
		{[]string{"stauts"}, "did you mean hiverun status?"},
		{[]string{"chek"}, "did you mean hiverun check?"},
		{[]string{"stpo", "web"}, "did you mean hiverun stop web?"},
	}
	for _, c := range cases {
		r := hiverun(t, dir, nil, c.args...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, want exit 2 and nothing run", c.args, r.code, r.stdout)
		}
		if !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line with %q", c.args, r.stderr, c.want)
		}
	}
	// Far from any command: still the unknown process, naming the processes.
	if r := hiverun(t, dir, nil, "wbe"); r.code != 2 || !strings.Contains(r.stderr, `unknown process "wbe"`) || strings.Contains(r.stderr, "did you mean") {
		t.Errorf("wbe: exit %d, stderr %q", r.code, r.stderr)
	}

	// A process of the Procfile wins over the habit: `hiverun ps` runs ps.
	own := project(t, map[string]string{"Procfile": "# hiverun: oneshot\nps: echo ps-ran\n# hiverun: oneshot\nstauts: echo stauts-ran\n"})
	for _, name := range []string{"ps", "stauts"} {
		r := hiverun(t, own, nil, "--no-color", name)
		if r.code != 0 || !strings.Contains(r.stdout, name+"-ran") {
			t.Errorf("%s as a process: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
	}
}

// TestVersionFlags: --version and -v (foreman's spelling) print what
// `hiverun version` prints.
func TestVersionFlags(t *testing.T) {
	dir := t.TempDir()
	want := hiverun(t, dir, nil, "version")
	if want.code != 0 || !strings.HasPrefix(want.stdout, "hiverun ") {
		t.Fatalf("version: exit %d, %q", want.code, want.stdout)
	}
	for _, flag := range []string{"--version", "-v"} {
		if r := hiverun(t, dir, nil, flag); r.code != 0 || r.stdout != want.stdout {
			t.Errorf("%s: exit %d, %q %q, want %q", flag, r.code, r.stdout, r.stderr, want.stdout)
		}
	}
}
