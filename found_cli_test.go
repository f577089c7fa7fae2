//go:build linux

package main_test

// Behaviour found by using hiverun as a new user would (in tmux, on a stack
// of one's own), each test failing before its fix.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOutputReaderGone: `hiverun | head -3` ends the stack once head has
// gone. hiverun used to die of SIGPIPE at its next line, leaving its
// processes running with no supervisor until the next start reclaimed
// them.
func TestOutputReaderGone(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": "ticker: while :; do echo tick; sleep 0.05; done\n" +
			"idle: sh -c 'trap \"echo bye > stopped-in-order; exit 0\" TERM; echo armed; while :; do sleep 0.05; done'\n",
	})
	p := startPiped(t, dir)
	// Read as head would, once idle has set its trap, then go away.
	p.readUntil("| armed")
	p.r.Close()
	var err error
	select {
	case err = <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatal("hiverun did not end once its output was closed")
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("hiverun died of %v instead of stopping its stack", ws.Signal())
	}
	if err != nil {
		t.Errorf("exit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stopped-in-order")); err != nil {
		t.Errorf("idle was not stopped in order: %v", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, ".hiverun", "hiverun.log"))
	if !strings.Contains(string(log), "stopping: its output was closed") {
		t.Errorf("hiverun.log does not say why the stack stopped:\n%s", log)
	}
}

// TestQuietStackReaderGone: `hiverun | grep -m1 'ready in'` ends the stack
// once grep has gone, though no process writes anything more: hiverun
// used to notice only at its next write, and ran on.
func TestQuietStackReaderGone(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": "quiet: sleep 60\n",
	})
	p := startPiped(t, dir)
	p.readUntil("| ready in")
	p.r.Close()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.done
		t.Fatal("hiverun ran on after the reader of its output had gone")
	}
	log, _ := os.ReadFile(filepath.Join(dir, ".hiverun", "hiverun.log"))
	if !strings.Contains(string(log), "stopping: its output was closed") {
		t.Errorf("hiverun.log:\n%s", log)
	}
}

// TestCtrlCOnAPipeline: Ctrl-C on `hiverun | tee log` reaches the reader
// too, which goes away: the stack still stops in order, each process
// given its grace. The closed output used to count as a second Ctrl-C
// and kill everything at once.
func TestCtrlCOnAPipeline(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": "slow: sh -c 'trap \"sleep 0.5; echo bye > graceful; exit 0\" TERM; echo armed; while :; do echo tick; sleep 0.05; done'\n",
	})
	p := startPiped(t, dir)
	p.readUntil("| armed")
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	p.r.Close()
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatal("hiverun did not end")
	}
	if _, err := os.Stat(filepath.Join(dir, "graceful")); err != nil {
		t.Errorf("slow was not given its grace: %v", err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, ".hiverun", "hiverun.log"))
	if strings.Contains(string(log), "killing everything now") {
		t.Errorf("hiverun.log:\n%s", log)
	}
}

// TestPWDIsTheProcessDir: PWD is the folder a process runs in, as a shell
// (and foreman) gives it. A command hiverun runs without a shell used to
// get the PWD of the terminal hiverun was started from.
func TestPWDIsTheProcessDir(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": "# hiverun: oneshot dir=./sub\ndirect: printenv PWD\n" +
			"# hiverun: oneshot\nshell: sh -c 'echo $PWD'\n",
		"sub/.keep": "",
	})
	r := hiverun(t, dir, []string{"PWD=/somewhere/else"}, "start", "--no-color", "--no-timestamp")
	if r.code != 0 {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	real, _ := filepath.EvalSymlinks(dir)
	for _, want := range []string{
		"direct  | " + filepath.Join(dir, "sub"), "shell   | " + dir,
	} {
		alt := strings.Replace(want, dir, real, 1)
		if !strings.Contains(r.stdout, want) && !strings.Contains(r.stdout, alt) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
	env := hiverun(t, dir, []string{"PWD=/somewhere/else"}, "env", "direct")
	if !strings.Contains(env.stdout, "PWD="+filepath.Join(dir, "sub")) && !strings.Contains(env.stdout, "PWD="+filepath.Join(real, "sub")) {
		t.Errorf("env direct:\n%s", env.stdout)
	}
}

// TestDetachKeepsNoInheritedPipe: `(hiverun up --detach 5>&1 >/dev/null) |
// cat`, or a CI runner that leaves a pipe open in its steps, ends once up
// has: the background supervisor and the stack's processes do not keep a
// descriptor that up inherited. It used to, and the pipeline hung while
// the stack ran.
func TestDetachKeepsNoInheritedPipe(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "quiet: sleep 60\n"})
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "up", "--detach")
	cmd.Dir = dir
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	// fds 3 to 5, as a shell's 5>&1 gives the pipe at 5
	cmd.ExtraFiles = []*os.File{devNull, devNull, w}
	if err := cmd.Run(); err != nil {
		t.Fatalf("up --detach: %v", err)
	}
	w.Close()
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, r)
		close(eof)
	}()
	select {
	case <-eof:
	case <-time.After(5 * time.Second):
		t.Error("the pipe up inherited is still held open after up has ended")
	}
	r.Close()
}

// TestStatusShowsExitCode: after "long exited with code 4" stopped the
// stack, status says which code, on screen and in --json; it used to say
// only "exited", as for a oneshot that finished well.
func TestStatusShowsExitCode(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": "long: sh -c 'sleep 0.2; exit 4'\nidle: sleep 30\n",
	})
	if r := hiverun(t, dir, nil, "start", "--no-color"); r.code == 0 {
		t.Fatalf("start exited 0:\n%s", r.stdout)
	}
	r := hiverun(t, dir, nil, "status")
	if !strings.Contains(r.stdout, "exited (code 4)") {
		t.Errorf("status:\n%s", r.stdout)
	}
	j := hiverun(t, dir, nil, "status", "--json")
	if !strings.Contains(j.stdout, `"exit_code":4`) && !strings.Contains(j.stdout, `"exit_code": 4`) {
		t.Errorf("status --json:\n%s", j.stdout)
	}
}

// TestStatusShowsCodeOfAFailure: a process that exits before it is ready
// shows its own exit code; it showed "failed (code 0)" (found using it).
func TestStatusShowsCodeOfAFailure(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "# hiverun: oneshot\nm: sh -c 'echo boom; exit 2'\n"})
	if r := hiverun(t, dir, nil, "start", "--no-color"); r.code == 0 {
		t.Fatalf("start exited 0:\n%s", r.stdout)
	}
	if r := hiverun(t, dir, nil, "status"); !strings.Contains(r.stdout, "failed (code 2)") {
		t.Errorf("status:\n%s", r.stdout)
	}
	if r := hiverun(t, dir, nil, "status", "--json"); !strings.Contains(r.stdout, `"reason": "exited with code 2"`) {
		t.Errorf("status --json, the reason of the failure:\n%s", r.stdout)
	}
}

// TestStatusShowsTheSignal: a process killed by a signal shows the signal,
// as the screen said it, not 128 plus its number (found using it).
func TestStatusShowsTheSignal(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "k: sh -c 'sleep 0.2; kill -KILL $$'\n"})
	if r := hiverun(t, dir, nil, "start", "--no-color"); r.code == 0 {
		t.Fatalf("start exited 0:\n%s", r.stdout)
	}
	if r := hiverun(t, dir, nil, "status"); !strings.Contains(r.stdout, "exited (killed by SIGKILL)") {
		t.Errorf("status:\n%s", r.stdout)
	}
}

// TestRerunWithAFailingChangeKeepsTheRest: `up --detach` after an edit that
// makes one process fail its check reports that failure and keeps the
// rest of the stack up. It used to start the whole stack anew, which then
// failed too, leaving nothing running.
func TestRerunWithAFailingChangeKeepsTheRest(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	procfile := func(check string) string {
		return "db: sleep 60\n" +
			fmt.Sprintf("# hiverun: port=%d health=%s timeout=3s\n", port, check) +
			"web: python3 -m http.server $PORT --bind 127.0.0.1\n"
	}
	dir := project(t, map[string]string{"Procfile": procfile("/")})
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before := hiverun(t, dir, nil, "status", "--json")
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile("/nope")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := hiverun(t, dir, nil, "up", "--detach")
	if r.code == 0 {
		t.Errorf("a rerun whose changed process fails exited 0:\n%s%s", r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "anew") {
		t.Errorf("the stack was started anew:\n%s%s", r.stdout, r.stderr)
	}
	after := hiverun(t, dir, nil, "status", "--json")
	dbPid := func(js string) string {
		i := strings.Index(js, `"name": "db.1"`)
		if i < 0 {
			return ""
		}
		j := strings.Index(js[i:], `"pid":`)
		return strings.Fields(js[i+j+6:])[0]
	}
	if dbPid(before.stdout) == "" || dbPid(before.stdout) != dbPid(after.stdout) {
		t.Errorf("db did not run on: before %q, after %q\n%s", dbPid(before.stdout), dbPid(after.stdout), after.stdout)
	}
}

// TestRunWithMissingCommandStartsNothing: `run --with db -- nosuchcmd`
// says the command is not there (127) before booting anything for it; it
// used to boot db first.
func TestRunWithMissingCommandStartsNothing(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "# hiverun: health=\"exec:test -e started\"\ndb: sh -c 'touch started; sleep 30'\n"})
	r := hiverun(t, dir, nil, "run", "--with", "db", "--", "nosuchcmd-hiverun", "x")
	if r.code != 127 {
		t.Errorf("exit %d, want 127:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
		t.Errorf("db was started for a command that is not there:\n%s%s", r.stdout, r.stderr)
	}
}

// piped is `hiverun start` in dir with its output on a pipe that the test
// reads, as `hiverun | head` would.
type piped struct {
	cmd  *exec.Cmd
	r    *os.File
	sc   *bufio.Scanner
	done chan error
}

func startPiped(t *testing.T, dir string) *piped {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "start", "--no-color")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	p := &piped{cmd: cmd, r: r, sc: bufio.NewScanner(r), done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p
}

// readUntil reads lines until one contains marker (or the output ends).
func (p *piped) readUntil(marker string) {
	for p.sc.Scan() && !strings.Contains(p.sc.Text(), marker) {
	}
}

// TestUpDetachReadyLineNames: `up --detach` names the critical path as the
// foreground does (redis, not redis.1); it used to name instances.
func TestUpDetachReadyLineNames(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "quiet: sleep 60\n"})
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	r := hiverun(t, dir, nil, "up", "--detach")
	if r.code != 0 || !strings.Contains(r.stdout, "— quiet ") || strings.Contains(r.stdout, "quiet.1") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestEnvShowsTheCommandsAssignments: `env web` shows what the process
// gets, the command's own FOO=1 included; it used to leave them out.
func TestEnvShowsTheCommandsAssignments(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: FOO=1 BAR=\"two words\" python3 app.py\n"})
	r := hiverun(t, dir, nil, "env", "web")
	for _, want := range []string{"FOO=1\t# Procfile:1, its command\n", "BAR=\"two words\"\t# Procfile:1, its command\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
}

// TestCheckedPortTakenIsRefused: api has no port= but is checked on its
// PORT (health=/). When another program holds that port, hiverun refuses
// to start, naming the holder; it used to take the holder's answer for
// api's, say "api ready", and stop when api failed to bind.
func TestCheckedPortTakenIsRefused(t *testing.T) {
	t.Parallel()
	holder := exec.Command("python3", "-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)")
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Process.Kill(); _ = holder.Wait() }()
	var port int
	if _, err := fmt.Fscan(out, &port); err != nil {
		t.Fatal(err)
	}
	dir := project(t, map[string]string{"Procfile": "# hiverun: health=/\napi: python3 -m http.server $PORT --bind 127.0.0.1\n"})
	r := hiverun(t, dir, nil, "start", "--no-color", "-p", fmt.Sprint(port))
	if r.code != 3 || !strings.Contains(r.stderr+r.stdout, fmt.Sprintf("port %d (api.1) is held by", port)) {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "api ready") {
		t.Errorf("the holder's answer was taken for api's:\n%s", r.stdout)
	}
}

// TestNotExecutableSaysSo: the shell's 126 is said in words, as 127 is.
func TestNotExecutableSaysSo(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "x: sh -c ./tool\n", "tool": "echo hi\n"})
	os.Chmod(filepath.Join(dir, "tool"), 0o644)
	r := hiverun(t, dir, nil, "start", "--no-color")
	if r.code == 0 || !strings.Contains(r.stdout, "exited with code 126 (not executable)") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestUpDetachSaysWhySkipped: a required process skipped because what it
// depends on failed: up --detach says why, with no empty "last 0 lines"
// (found using it).
func TestUpDetachSaysWhySkipped(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "# hiverun: optional health=tcp://127.0.0.1:1\nbad: sh -c 'exit 4'\n# hiverun: depends=bad\ndep: sleep 301\n"})
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	r := hiverun(t, dir, nil, "up", "--detach")
	if r.code != 1 || !strings.Contains(r.stdout, "dep could not start: it depends on bad, which failed") || strings.Contains(r.stdout, "last 0 lines") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestUpDetachNamesOptionalDown: up --detach's ready line counts the
// optional processes that are not running, as the foreground's does, and a
// process skipped behind a skipped one says so, not "which failed" (found
// using it).
func TestUpDetachNamesOptionalDown(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "# hiverun: optional health=tcp://127.0.0.1:1\nbad: sh -c 'exit 4'\n# hiverun: depends=bad optional\nmid: sleep 300\n# hiverun: depends=mid optional\ntop: sleep 300\nweb: sleep 302\n"})
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 || !strings.Contains(r.stdout, "(3 optional not running)") {
		t.Fatalf("up: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, dir, nil, "status", "--json"); !strings.Contains(r.stdout, "it depends on mid, which was skipped") {
		t.Fatalf("status --json:\n%s", r.stdout)
	}
}

// TestRunAFolder: run of a folder exits 126 and says so, as a shell does;
// it said "command not found" (127) (found using it).
func TestRunAFolder(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 1\n", "adir/x": ""})
	if r := hiverun(t, dir, nil, "run", "--", "./adir"); r.code != 126 || !strings.Contains(r.stderr, "is a directory") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
