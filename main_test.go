//go:build linux

package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/bench"
	"github.com/hiverun/hiverun/runner/proc"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hiverun-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root, _ := os.Getwd()
	bin, err = bench.Build(root, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// hiverun runs the binary in dir with args, bounded in time.
func hiverun(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Signal(syscall.SIGINT)
		<-done
		t.Fatalf("hiverun %v did not end; stdout:\n%s\nstderr:\n%s", args, out.String(), errb.String())
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}

func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBadInput: every mistake exits 2 with one line on stderr that says
// where. Procfile scenarios live in testdata/bad; the name says the
// mistake, the table says where it must be reported.
func TestBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		file  string // testdata/bad/<file>, copied as Procfile ("" = good.Procfile)
		env   string // .env content
		args  []string
		where string // stderr must start with this
		msg   string // and contain this
	}{
		{name: "unknown key", file: "unknown-key", where: "Procfile:2:", msg: `unknown key "prot"`},
		{name: "unknown flag", file: "unknown-flag", where: "Procfile:1:", msg: "unknown flag"},
		{name: "bad duration", file: "bad-duration", where: "Procfile:3:", msg: "timeout=10x"},
		{name: "port out of range", file: "port-range", where: "Procfile:1:", msg: "out of range"},
		{name: "unknown dependency", file: "unknown-dep", where: "Procfile:3:", msg: `unknown process "databse"`},
		{name: "cycle", file: "cycle", where: "Procfile:5:", msg: "a -> b -> c -> a"},
		{name: "self dependency", file: "self-dep", where: "Procfile:1:", msg: "depends on itself"},
		{name: "duplicate name", file: "duplicate", where: "Procfile:3:", msg: "already defined on line 1"},
		{name: "dangling annotation", file: "dangling", where: "Procfile:3:", msg: "not directly above"},
		{name: "unterminated quote", file: "unterminated", where: "Procfile:1:", msg: "quotes"},
		{name: "unknown scheme", file: "scheme", where: "Procfile:1:", msg: `unknown scheme "redis"`},
		{name: "dir escaping", file: "dir-escape", where: "Procfile:1:", msg: "leaves the project"},
		{name: "clean escaping", file: "clean-escape", where: "Procfile:1:", msg: "must be a path relative"},
		{name: "bad restart", file: "bad-restart", where: "Procfile:1:", msg: "on-failure, always or no"},
		{name: "bad signal", file: "bad-signal", where: "Procfile:1:", msg: "signal=TERMINATE"},
		{name: "flag with value", file: "flag-value", where: "Procfile:1:", msg: "is a flag"},
		{name: "key set twice", file: "twice", where: "Procfile:2:", msg: "already set on line 1"},
		{name: "oneshot with health", file: "oneshot-health", where: "Procfile:1:", msg: "oneshot"},
		{name: "empty Procfile", file: "empty", where: "Procfile:", msg: "no processes defined"},
		{name: "missing -e file", args: []string{"-e", "nope.env"}, where: "nope.env:", msg: "env file not found"},
		{name: "bad .env line", env: "A=1\nnot a line\n", where: ".env:2:", msg: "expected KEY=value"},
		{name: "bad formation", args: []string{"-m", "web=two"}, where: "hiverun: formation", msg: "expected NAME=COUNT"},
		{name: "formation unknown process", args: []string{"-m", "wbe=2"}, where: "hiverun: formation", msg: `unknown process "wbe"`},
		{name: "unknown process on command line", args: []string{"wbe"}, where: "hiverun: unknown process", msg: `"wbe"`},
		{name: "bad -p", args: []string{"-p", "70000"}, where: "hiverun: --port", msg: "out of range"},
		{name: "bad -t", args: []string{"-t", "soon"}, where: "hiverun: --timeout", msg: "expected a duration"},
		{name: "unknown flag on command line", args: []string{"--colour"}, where: "hiverun: unknown flag", msg: "--colour"},
		{name: "missing Procfile", args: []string{"-f", "Nope"}, where: "Nope:", msg: "no such file"},
		{name: "env without a name", args: []string{"env"}, where: "hiverun: env takes", msg: "one process"},
		{name: "check --strict on a dropped line", file: "dropped-line", args: []string{"check", "--strict"}, where: "Procfile:2:", msg: "--strict"},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d mistakes", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "web: sleep 1\n"
			if c.file != "" {
				b, err := os.ReadFile(filepath.Join("testdata", "bad", c.file+".Procfile"))
				if err != nil {
					t.Fatal(err)
				}
				src = string(b)
			}
			files := map[string]string{"Procfile": src}
			if c.env != "" {
				files[".env"] = c.env
			}
			dir := project(t, files)
			args := c.args
			if len(args) == 0 || args[0] != "check" && args[0] != "env" {
				// "check" never starts anything, so a test cannot leave
				// a half-started stack behind even when it fails.
				args = append([]string{"check"}, args...)
			}
			r := hiverun(t, dir, nil, args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("stderr has %d lines:\n%s", len(lines), r.stderr)
			}
			if !strings.Contains(lines[0], c.where) || !strings.Contains(lines[0], c.msg) {
				t.Fatalf("stderr %q, want %q ... %q", lines[0], c.where, c.msg)
			}
			if strings.HasPrefix(c.where, "Procfile") && !strings.HasPrefix(lines[0], c.where) {
				t.Fatalf("stderr %q does not start with %q", lines[0], c.where)
			}
		})
	}
	// The same mistakes stop `hiverun` (start) before anything runs.
	dir := project(t, map[string]string{"Procfile": "web: sleep 30\n# hiverun: depends=nothing\napi: sleep 30\n"})
	if r := hiverun(t, dir, nil); r.code != 2 || r.stdout != "" {
		t.Fatalf("start with a bad Procfile: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": `# hiverun: oneshot
migrate: ./migrate.sh
# hiverun: port=8000 depends=migrate health=/health timeout=30s grace=2s
backend:   python3 -m app --port $PORT  
# hiverun: port=6379 health="exec:redis-cli ping" optional signal=INT
redis: redis-server --port $PORT
# hiverun: dir=web delay=1s restart=on-failure
web: npm start
dropped line
`, "web/.keep": ""})
	r := hiverun(t, dir, nil, "check", "--json", "-m", "all=1,web=2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Processes []map[string]any `json:"processes"`
		Warnings  []map[string]any `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if len(rep.Processes) != 4 || len(rep.Warnings) != 1 || rep.Warnings[0]["line"] != float64(9) {
		t.Fatalf("report: %s", r.stdout)
	}
	want := []map[string]any{
		{"name": "migrate", "command": "./migrate.sh", "line": 2.0, "port": 5000.0, "port_owned": false, "depends": []any{}, "health": "", "oneshot": true, "instances": 1.0, "timeout_ms": 60000.0, "grace_ms": 5000.0, "signal": "TERM", "restart": "no"},
		{"name": "backend", "command": "python3 -m app --port $PORT  ", "line": 4.0, "port": 8000.0, "port_owned": true, "depends": []any{"migrate"}, "health": "http://127.0.0.1:8000/health", "timeout_ms": 30000.0, "grace_ms": 2000.0, "optional": false},
		{"name": "redis", "port": 6379.0, "health": "exec:redis-cli ping", "optional": true, "signal": "INT", "delay_ms": 0.0},
		{"name": "web", "port": 5300.0, "health": "", "delay_ms": 1000.0, "restart": "on-failure", "instances": 2.0, "dir": filepath.Join(dir, "web")},
	}
	for i, w := range want {
		for k, v := range w {
			if fmt.Sprint(rep.Processes[i][k]) != fmt.Sprint(v) {
				t.Errorf("%s.%s = %v, want %v", w["name"], k, rep.Processes[i][k], v)
			}
		}
	}
	if rep.Processes[0]["dir"] != dir {
		t.Errorf("dir = %v, want %s", rep.Processes[0]["dir"], dir)
	}
}

// TestForemanCompatible: a Procfile written for foreman gets the same
// processes, commands, PORT, PS and environment.
func TestForemanCompatible(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": "web: echo \"web $PS $PORT $GREETING\"; sleep 1\nworker: echo \"worker $PS $PORT $GREETING\"; sleep 1\nclock: echo \"clock $PS $PORT\"; sleep 1\n",
		".env":     "GREETING=hello from env\n",
	})
	r := hiverun(t, dir, nil, "--no-color", "--no-timestamp", "-m", "web=2,worker=1,clock=0", "-p", "6000")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"web.1   | web web.1 6000 hello from env",
		"web.2   | web web.2 6001 hello from env",
		"worker  | worker worker.1 6100 hello from env",
	} {
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "clock") {
		t.Errorf("clock=0 ran:\n%s", r.stdout)
	}
	// `hiverun web` runs web alone, with the port it has in the whole file.
	r = hiverun(t, dir, []string{"PORT=7000"}, "--no-color", "--no-timestamp", "worker")
	if !strings.Contains(r.stdout, "worker  | worker worker.1 7100 hello from env\n") || strings.Contains(r.stdout, "web") {
		t.Errorf("worker alone:\n%s", r.stdout)
	}
}

// TestPlainOutputFormat: with --no-color --no-timestamp every line is
// exactly "NAME | text", NAME padded to the longest name shown.
func TestPlainOutputFormat(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "# hiverun: oneshot\na: echo hi\n# hiverun: oneshot\nlongername: printf 'x\\ny'\n"})
	r := hiverun(t, dir, nil, "--no-color", "--no-timestamp")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, l := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
		name, _, ok := strings.Cut(l, " | ")
		if !ok || len(name) != len("longername") || strings.Contains(l, "\x1b") {
			t.Errorf("bad line %q", l)
		}
	}
	for _, want := range []string{"a          | hi\n", "longername | x\n", "longername | y\n", "hiverun    | stopped\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
}

func TestTimestampsAndColorChoice(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "# hiverun: oneshot\na: echo hi\n"})
	r := hiverun(t, dir, nil)
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colour on a pipe:\n%q", r.stdout)
	}
	var hh, mm, ss int
	if n, _ := fmt.Sscanf(r.stdout, "%d:%d:%d", &hh, &mm, &ss); n != 3 {
		t.Errorf("no timestamp: %q", r.stdout)
	}
}

func TestRunCommand(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 1\n", ".env": "SECRET=s3cret\n"})
	if r := hiverun(t, dir, nil, "run", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exit %d, want 7", r.code)
	}
	r := hiverun(t, dir, nil, "run", "echo $SECRET")
	if r.code != 0 || r.stdout != "s3cret\n" {
		t.Errorf("run with .env: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, dir, nil, "run", "--", "no-such-cmd-xyz"); r.code != 127 {
		t.Errorf("missing command: exit %d", r.code)
	}
	if r := hiverun(t, dir, nil, "run", "--", "sh", "-c", "kill -TERM $$"); r.code != 128+15 {
		t.Errorf("killed command: exit %d", r.code)
	}
}

func TestEnvCommand(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile":   "web: a\n# hiverun: port=9000\napi: b\n",
		".env":       "A=1\n",
		"local.env":  "B=two words\n",
		"second.env": "# c\nA=override\n",
	})
	r := hiverun(t, dir, []string{"INHERITED_X=y"}, "env", "api", "-e", "local.env,second.env")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"A=override\t# second.env:2\n", "B=\"two words\"\t# local.env:1\n", "PORT=9000\t# Procfile:2\n",
		"PS=api.1\t# PS rule\n", "INHERITED_X=y\t# inherited\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
}

// TestSecretsStayOut: .env values appear in `env` only, never in output,
// errors or check.
func TestSecretsStayOut(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "# hiverun: oneshot\nweb: echo started\n", ".env": "TOKEN=hunter2\n"})
	for _, args := range [][]string{{"check"}, {"check", "--json"}, {"--no-color"}} {
		r := hiverun(t, dir, nil, args...)
		if strings.Contains(r.stdout+r.stderr, "hunter2") {
			t.Errorf("%v shows a .env value:\n%s%s", args, r.stdout, r.stderr)
		}
	}
	bad := project(t, map[string]string{"Procfile": "web: x\n", ".env": "OK=1\nTOKEN=\"hunter2\n"})
	r := hiverun(t, bad, nil, "check")
	if r.code != 2 || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("bad .env error: %d %q", r.code, r.stderr)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{{"--help"}, {"start", "--help"}, {"check", "--help"}, {"run", "--help"}, {"env", "--help"}, {"version", "--help"},
		{"status", "--help"}, {"stop", "--help"}, {"history", "--help"}, {"restart", "--help"}, {"up", "--help"}, {"logs", "--help"}} {
		r := hiverun(t, dir, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stdout)
		}
	}
	r := hiverun(t, dir, nil, "--help")
	for _, want := range []string{"dependency order", "check", "--procfile", "--formation", "--no-deps"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if r := hiverun(t, dir, nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "hiverun ") {
		t.Errorf("version: %q", r.stdout)
	}
}

// TestDoubleForkedDaemonStopped: a process that starts a daemon in a new
// session (outside its process group) does not leave it behind.
func TestDoubleForkedDaemonStopped(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "launcher: sh -c '(setsid sleep 301 &); echo launched; exec sleep 300'\n"})
	s, err := bench.StartStack(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitLine("launcher | launched", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for bench.Comms(s.ID, "sleep")["sleep"] < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := bench.Comms(s.ID, "sleep")["sleep"]; n != 2 {
		t.Fatalf("%d sleeps running, want 2", n)
	}
	if _, err := s.Interrupt(); err != nil {
		t.Fatal(err)
	}
	if left := bench.Living(s.ID); len(left) > 0 {
		t.Fatalf("left running: %v", left)
	}
	if !strings.Contains(s.Output(), "stopping 1 process that left its process group") {
		t.Errorf("the daemon's stop is not said as one process:\n%s", s.Output())
	}
}

// TestStartStopCycles: repeated start and stop leave nothing behind.
func TestStartStopCycles(t *testing.T) {
	// Not parallel: it interrupts hiverun at chosen moments of its boot,
	// which a loaded machine moves.
	var pf strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&pf, "p%d: sh -c 'sleep 100 & exec sleep 101'\n", i)
	}
	dir := project(t, map[string]string{"Procfile": pf.String()})
	for i := 0; i < 15; i++ {
		s, err := bench.StartStack(bin, dir)
		if err != nil {
			t.Fatal(err)
		}
		// Interrupt at varied moments: during boot and after it.
		if i%3 != 0 {
			if _, err := s.WaitLine("| ready in", 10*time.Second); err != nil {
				t.Fatal(err)
			}
		} else {
			// During the boot: once hiverun has begun starting processes
			// (before that, its signal handling may not be set up yet).
			if _, err := s.WaitLine("started", 10*time.Second); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(i) * time.Millisecond)
		}
		if d, err := s.Interrupt(); err != nil || d > 3*time.Second {
			t.Fatalf("cycle %d: %v after %s", i, err, d)
		}
		if left := bench.Living(s.ID); len(left) > 0 {
			t.Fatalf("cycle %d left %v", i, left)
		}
	}
}

// TestDemoStack runs the README's first command (as the built binary) and
// checks the stack comes up and goes down.
func TestDemoStack(t *testing.T) {
	root, _ := os.Getwd()
	cmd := exec.Command(bin, "--no-color", "--no-timestamp", "-f", "Procfile.example", "-e", ".env.example")
	cmd.Dir = root
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "hiverun   | ready in") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	text := out.String()
	if !strings.Contains(text, "hiverun   | ready in") || err != nil {
		t.Fatalf("demo stack (err %v):\n%s", err, text)
	}
	for _, want := range []string{"backend ready", "admin ready", "site ready", "migrate done"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q:\n%s", want, text)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReapsOrphansAsPID1: run as PID 1 of a new PID namespace (as in a
// container), hiverun reaps orphans that exit, so no zombie piles up.
func TestReapsOrphansAsPID1(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("unshare"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare to make a PID namespace")
	}
	dir := project(t, map[string]string{"Procfile": "orphans: sh -c 'for i in 1 2 3 4 5; do (sleep 0.05 &); done; echo made; exec sleep 30'\n"})
	cmd := exec.Command("unshare", "--fork", "--pid", "--mount-proc", bin, "--no-color", "--no-timestamp")
	cmd.Dir = dir
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "orphans | made") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// hiverun is the child of unshare, seen from here with its outer pid.
	hv, _ := proc.ChildrenOf(cmd.Process.Pid)
	if len(hv) != 1 {
		t.Fatalf("unshare has children %v; output:\n%s", hv, out.String())
	}
	// The five orphans exit 50 ms after they are made; reaped, hiverun is
	// left with one child (the process itself) and no zombie.
	settled := func() (living int, zombies []int) {
		kids, _ := proc.ChildrenOf(hv[0])
		for _, pid := range kids {
			if st, ok := proc.ReadStat(pid); ok && proc.Living(st) {
				living++
			} else if ok {
				zombies = append(zombies, pid)
			}
		}
		return living, zombies
	}
	deadline = time.Now().Add(3 * time.Second)
	for {
		living, zombies := settled()
		if living == 1 && len(zombies) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("under hiverun as PID 1: %d living children, zombies %v", living, zombies)
		}
		time.Sleep(5 * time.Millisecond)
	}
	syscall.Kill(hv[0], syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "hiverun | stopped") {
		t.Errorf("output:\n%s", out.String())
	}
}
