//go:build linux

package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hiverun/hiverun/internal/freeport"
	"github.com/mattn/go-shellwords"
)

// TestHabitsFromOtherRunners: the words a foreman or overmind user types
// get the hiverun command that does it, a typo of a command gets "did you
// mean", both exit 2 without starting anything, and a process of the
// Procfile with such a name still starts.
func TestHabitsFromOtherRunners(t *testing.T) {
	t.Parallel()
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
		// A flag the mistyped command would take is not the mistake.
		{[]string{"stauts", "--json"}, "did you mean hiverun status"},
		{[]string{"ps", "-a"}, "use hiverun status"},
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
	// Far from any command: still the unknown process, naming the
	// processes (and the one it is close to), with no command suggested.
	if r := hiverun(t, dir, nil, "wbe"); r.code != 2 || !strings.Contains(r.stderr, `unknown process "wbe"`) || strings.Contains(r.stderr, "did you mean hiverun") {
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
	// A broken Procfile may define it: its error comes first. With no
	// Procfile at all, the habit is the likelier mistake.
	broken := project(t, map[string]string{"Procfile": "ps: echo hi\n# hiverun: prot=1\nweb: x\n"})
	if r := hiverun(t, broken, nil, "ps"); r.code != 2 || !strings.HasPrefix(r.stderr, "Procfile:2: unknown key") {
		t.Errorf("ps with a broken Procfile: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := hiverun(t, t.TempDir(), nil, "ps"); r.code != 2 || !strings.Contains(r.stderr, "use hiverun status") {
		t.Errorf("ps without a Procfile: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestVersionFlags: --version and -v (foreman's spelling) print what
// `hiverun version` prints.
func TestVersionFlags(t *testing.T) {
	t.Parallel()
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

// TestRunProcfileProcess: `hiverun run NAME` runs the Procfile's NAME as
// foreman run does, with that process's environment and folder; further
// arguments are added to it; after -- NAME is a program again.
func TestRunProcfileProcess(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": "web: sleep 30\n# hiverun: dir=sub\ntest: echo from-procfile port=$PORT ps=$PS greeting=$GREETING cwd=$(basename $(pwd))\n",
		".env":     "GREETING=hello\n",
		"sub/keep": "",
	})
	want := "from-procfile port=5100 ps=test.1 greeting=hello cwd=sub"
	if r := hiverun(t, dir, nil, "run", "test"); r.code != 0 || r.stdout != want+"\n" {
		t.Errorf("run test: exit %d, stdout %q, want %q; stderr %q", r.code, r.stdout, want, r.stderr)
	}
	if r := hiverun(t, dir, nil, "run", "test", "-p", "two words"); r.code != 0 || r.stdout != want+" -p two words\n" {
		t.Errorf("run test -p 'two words': exit %d, stdout %q", r.code, r.stdout)
	}
	// After --, test is /usr/bin/test, which fails without arguments.
	if r := hiverun(t, dir, nil, "run", "--", "test"); r.code != 1 || strings.Contains(r.stdout, "from-procfile") {
		t.Errorf("run -- test: exit %d, stdout %q", r.code, r.stdout)
	}
	// No Procfile: every word is a command, as before.
	empty := t.TempDir()
	if r := hiverun(t, empty, nil, "run", "echo", "ok"); r.code != 0 || r.stdout != "ok\n" {
		t.Errorf("run without a Procfile: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestRunOptionsAfterCommand: options after the command are the
// command's (hiverun run psql -p 5433), hiverun's own go before it.
func TestRunOptionsAfterCommand(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile":  "web: sleep 30\ntest: printf '%s,'\n",
		"other.env": "X=from-other\n",
	})
	r := hiverun(t, dir, nil, "run", "printf", "%s,", "-p", "5433", "-d", "db", "-f", "x", "-e", "y", "-v", "--with", "z", "--", "w")
	if want := "-p,5433,-d,db,-f,x,-e,y,-v,--with,z,--,w,"; r.code != 0 || r.stdout != want {
		t.Errorf("run printf ...: exit %d, stdout %q, want %q; stderr %q", r.code, r.stdout, want, r.stderr)
	}
	if r := hiverun(t, dir, nil, "run", "test", "-p", "5433"); r.code != 0 || r.stdout != "-p,5433," {
		t.Errorf("run test -p 5433: exit %d, stdout %q; stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, dir, nil, "run", "-e", "other.env", "sh", "-c", "echo $X"); r.code != 0 || r.stdout != "from-other\n" {
		t.Errorf("run -e other.env sh -c: exit %d, stdout %q; stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestForemanSpellings: -d is --root as in foreman (up keeps -d for
// --detach, as in docker compose); -v is in TestVersionFlags.
func TestForemanSpellings(t *testing.T) {
	t.Parallel()
	parent := project(t, map[string]string{
		"proj/Procfile": "web: sleep 300\n",
		"proj/.env":     "GREETING=hello\n",
	})
	if r := hiverun(t, parent, nil, "-d", "proj", "check"); r.code != 0 || !strings.Contains(r.stdout, "proj/Procfile: 1 process") {
		t.Errorf("-d proj check: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, parent, nil, "run", "-d", "proj", "echo $GREETING"); r.code != 0 || r.stdout != "hello\n" {
		t.Errorf("run -d proj: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r := hiverun(t, parent, nil, "-d", "proj", "up", "-d")
	t.Cleanup(func() { hiverun(t, parent, nil, "stop", "-d", "proj") })
	if r.code != 0 || !strings.Contains(r.stdout, "ready in") {
		t.Fatalf("-d proj up -d: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, parent, nil, "status", "-d", "proj"); r.code != 0 || !strings.Contains(r.stdout, "ready") {
		t.Errorf("status -d proj: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, parent, nil, "stop", "-d", "proj"); r.code != 0 || !strings.Contains(r.stdout, "stopped") {
		t.Errorf("stop -d proj: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestWordingFirstUse: the messages a new user meets say the thing in
// plain words.
func TestWordingFirstUse(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "# hiverun: oneshot\nweb: echo hello\n", "notes.txt": "not a program\n"})
	exact := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"-p", "abc"}, 2, "hiverun: --port abc: not a number\n"},
		{[]string{"check", "--port", "abc"}, 2, "hiverun: --port abc: not a number\n"},
		{[]string{"-f", "Procfile.dev"}, 2, "Procfile.dev: no such file\n"},
		{[]string{"check", "-f", "Procfile.dev"}, 2, "Procfile.dev: no such file\n"},
		{[]string{"run", "--", "nosuchcmd"}, 127, "hiverun: run: nosuchcmd: command not found\n"},
		{[]string{"run", "nosuchcmd", "-x"}, 127, "hiverun: run: nosuchcmd: command not found\n"},
		{[]string{"run", "./notes.txt"}, 126, "hiverun: run: ./notes.txt: permission denied (not an executable file)\n"},
	}
	for _, c := range exact {
		if r := hiverun(t, dir, nil, c.args...); r.code != c.code || r.stderr != c.stderr || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d, stderr %q", c.args, r.code, r.stderr, r.stdout, c.code, c.stderr)
		}
	}
	if r := hiverun(t, t.TempDir(), nil); r.code != 2 || r.stderr != "Procfile: no such file (use -f to name one)\n" {
		t.Errorf("no Procfile: exit %d, stderr %q", r.code, r.stderr)
	}

	// Singular: one process, one startup.
	if r := hiverun(t, dir, nil, "check"); r.code != 0 || !strings.Contains(r.stdout, "Procfile: 1 process, start order: web\n") {
		t.Errorf("check: exit %d\n%s", r.code, r.stdout)
	}
	if r := hiverun(t, dir, nil, "--no-color"); r.code != 0 || !strings.Contains(r.stdout, "hello") {
		t.Fatalf("run the oneshot: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, dir, nil, "history"); r.code != 0 || !strings.Contains(r.stdout, "\n1 startup (1 ready, 0 failed), 0 processes reclaimed;") {
		t.Errorf("history: exit %d\n%s", r.code, r.stdout)
	}

	// A detached boot that fails with one line says "last line of web".
	bad := project(t, map[string]string{"Procfile": "# hiverun: delay=5s\nweb: sh -c 'echo cannot-open-config; exit 3'\n"})
	r := hiverun(t, bad, nil, "up", "--detach")
	t.Cleanup(func() { hiverun(t, bad, nil, "stop") })
	if r.code != 1 || !strings.Contains(r.stdout, "last line of web:\n  cannot-open-config\n") || strings.Contains(r.stdout, "1 lines") {
		t.Errorf("up --detach of a failing web: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRunHelpExamples: every example of `hiverun run --help` works as
// written, in the project it assumes (a Procfile with migrate and backend,
// a .env and a .env.test; go and psql are stand-ins that print their
// arguments).
func TestRunHelpExamples(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{
		"Procfile":  fmt.Sprintf("# hiverun: oneshot\nmigrate: echo migrated\n# hiverun: port=%d\nbackend: python3 -m http.server %d --bind 127.0.0.1\n", port, port),
		".env":      "DATABASE_URL=postgres://localhost/app\n",
		".env.test": "DATABASE_URL=postgres://localhost/test\n",
		"bin/go":    "#!/bin/sh\necho \"go $* DATABASE_URL=$DATABASE_URL BACKEND_PORT=$BACKEND_PORT\"\n",
		"bin/psql":  "#!/bin/sh\necho \"psql $*\"\n",
	})
	for _, f := range []string{"bin/go", "bin/psql"} {
		if err := os.Chmod(filepath.Join(dir, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PATH=" + filepath.Join(dir, "bin") + ":" + os.Getenv("PATH")}
	help := hiverun(t, dir, nil, "run", "--help")
	_, examples, ok := strings.Cut(help.stdout, "Examples:\n")
	if !ok {
		t.Fatalf("run --help has no examples:\n%s", help.stdout)
	}
	examples, _, _ = strings.Cut(examples, "\n\n")
	wants := map[string]string{
		"echo":      "postgres://localhost/app\n",
		".env.test": "go test ./... DATABASE_URL=postgres://localhost/test",
		"psql":      "psql -p 5433\n",
		"migrate":   "migrated\n",
		"--with":    fmt.Sprintf("go test ./e2e/... DATABASE_URL=postgres://localhost/app BACKEND_PORT=%d", port),
	}
	// A $ inside double quotes is the user's shell's, not the command's:
	// an example written so would print the wrong thing.
	if m := regexp.MustCompile(`"[^"\n]*\$[A-Za-z_][^"\n]*"`).FindString(help.stdout); m != "" {
		t.Errorf("run --help shows %s: the shell expands that $ before hiverun sees it", m)
	}
	comment := regexp.MustCompile(`\s+#\s.*$`)
	seen := map[string]bool{}
	for _, line := range strings.Split(examples, "\n") {
		line = comment.ReplaceAllString(strings.TrimSpace(line), "")
		args, err := shellwords.Parse(line)
		if err != nil || len(args) < 2 || args[0] != "hiverun" {
			t.Fatalf("example %q: not a hiverun command line (%v)", line, err)
		}
		r := hiverun(t, dir, env, args[1:]...)
		if r.code != 0 || r.stdout == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", line, r.code, r.stdout, r.stderr)
		}
		for key, want := range wants {
			if strings.Contains(line, key) {
				seen[key] = true
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%s: stdout %q, want %q", line, r.stdout, want)
				}
			}
		}
	}
	// The examples show what a foreman user needs: a process of the
	// Procfile, options after the command, --with.
	for key := range wants {
		if !seen[key] {
			t.Errorf("no example of run with %s:\n%s", key, examples)
		}
	}
}

// freePort is a port the kernel just gave out, closed again for a process
// to take (freeport.Get).
func freePort(t *testing.T) int {
	t.Helper()
	port, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestUnknownProcessEveryCommand: a name that is not a process exits 2
// in every command that takes one, with no stack and with one running,
// and the running stack is left as it was.
func TestUnknownProcessEveryCommand(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 300\n# hiverun: oneshot\nmigrate: echo migrated\n"})
	commands := [][]string{
		{"wbe"}, {"start", "wbe"}, {"run", "--with", "wbe", "--", "true"}, {"check", "wbe"}, {"env", "wbe"},
		{"logs", "wbe"}, {"logs", "-f", "wbe"}, {"status", "wbe"}, {"stop", "wbe"}, {"stop", "web", "wbe.2"},
		{"restart", "wbe"}, {"export", "systemd", "wbe"}, {"up", "--detach", "wbe"},
	}
	try := func(when string) {
		for _, args := range commands {
			r := hiverun(t, dir, nil, args...)
			if r.code != 2 || !strings.Contains(r.stderr, `unknown process "wbe`) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("%s: %v: exit %d, stderr %q, want 2 and unknown process", when, args, r.code, r.stderr)
			}
		}
	}
	try("no stack")
	// status shows the whole stack; a known name there is bad usage too,
	// said as such.
	if r := hiverun(t, dir, nil, "status", "web"); r.code != 2 || !strings.Contains(r.stderr, "status takes no process names") {
		t.Errorf("status web: exit %d, stderr %q", r.code, r.stderr)
	}

	r := hiverun(t, dir, nil, "up", "--detach")
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	if r.code != 0 {
		t.Fatalf("up --detach: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before := status(t, dir)
	try("stack running")
	after := status(t, dir)
	if !after.OK || !after.Supervisor.Alive || fmt.Sprint(after.Instances) != fmt.Sprint(before.Instances) {
		t.Errorf("the stack changed: before %+v, after %+v", before, after)
	}
	// Names of the running stack are known, also one the Procfile no
	// longer has.
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: sleep 300\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := hiverun(t, dir, nil, "logs", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "migrated") {
		t.Errorf("logs migrate: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, dir, nil, "stop", "web"); r.code != 0 {
		t.Errorf("stop web: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestBadHealthFlagsTouchNothing: --health-failures 0 (or less) and
// --health-interval 0 are bad usage, said before anything is touched: a
// stack running here is not taken over first (it was, and
// --health-failures 0 was taken as 3).
func TestBadHealthFlagsTouchNothing(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 300\n"})
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up --detach: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	supervisor := func() (pid int, alive bool) {
		var st struct {
			Supervisor struct {
				PID   int
				Alive bool
			}
		}
		_ = json.Unmarshal([]byte(hiverun(t, dir, nil, "status", "--json").stdout), &st)
		return st.Supervisor.PID, st.Supervisor.Alive
	}
	before, _ := supervisor()
	for _, args := range [][]string{{"--health-failures", "0"}, {"--health-failures", "-1"}, {"--health-interval", "0"}} {
		r := hiverun(t, dir, nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "hiverun: "+args[0]+" "+args[1]+": expected") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	if after, alive := supervisor(); after != before || !alive || before == 0 {
		t.Errorf("the running stack was touched: supervisor %d before, %d (alive %v) after", before, after, alive)
	}
	if r := hiverun(t, dir, nil, "history", "--svg", "x.svg", "--boot", "5"); r.code != 2 || !strings.Contains(r.stderr, "--boot 5: 1 boot recorded") {
		t.Errorf("history --boot 5: exit %d %s", r.code, r.stderr)
	}
}

// TestDidYouMeanNames: a misspelt process name or annotation key gets the
// one it is close to, as a misspelt command does.
func TestDidYouMeanNames(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "worker: sleep 300\nweb: sleep 300\n"})
	if r := hiverun(t, dir, nil, "check", "wroker"); r.code != 2 || !strings.Contains(r.stderr, "did you mean worker?") {
		t.Errorf("check wroker: exit %d %s", r.code, r.stderr)
	}
	if r := hiverun(t, dir, nil, "restart", "wroker"); r.code != 2 || !strings.Contains(r.stderr, "did you mean worker?") {
		t.Errorf("restart wroker: exit %d %s", r.code, r.stderr)
	}
	bad := project(t, map[string]string{"Procfile": "# hiverun: helth=/health port=8000\nweb: sleep 300\n"})
	if r := hiverun(t, bad, nil, "check"); r.code != 2 || !strings.Contains(r.stderr, `unknown key "helth"`) || !strings.Contains(r.stderr, "did you mean health?") {
		t.Errorf("helth=: exit %d %s", r.code, r.stderr)
	}
}
