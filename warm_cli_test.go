//go:build linux

package main_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/bench"
)

// TestTakeoverSaysWho: a second foreground hiverun takes over, and the
// first one's screen says who did; a `hiverun stop` from another terminal
// is named the same way, not as a bare signal.
func TestTakeoverSaysWho(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "app: sleep 300\n"})
	first := startAndWait(t, dir)
	second := startAndWait(t, dir)
	if err := first.Wait(); err != nil {
		t.Fatalf("the first hiverun after a takeover: %v\n%s", err, first.Output())
	}
	want := fmt.Sprintf("stopping: taken over by hiverun (pid %d) from another terminal", second.Cmd.Process.Pid)
	if out := first.Output(); !strings.Contains(out, want) {
		t.Fatalf("the first hiverun's screen does not say %q:\n%s", want, out)
	}
	if r := hiverun(t, dir, nil, "stop"); r.code != 0 {
		t.Fatalf("stop: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the stack did not stop")
	}
	out := second.Output()
	if !regexp.MustCompile(`stopping: stopped by hiverun stop \(pid \d+\)`).MatchString(out) || strings.Contains(out, "received") {
		t.Fatalf("after hiverun stop, the screen does not say who stopped it:\n%s", out)
	}
}

// warmProcfile is web (a server on an owned port) and worker, which
// writes its pid where a command can check it.
func warmProcfile(port int) string {
	return fmt.Sprintf(`# hiverun: port=%d
web: exec python3 -m http.server %d --bind 127.0.0.1
worker: sh -c 'echo $$ > worker.pid; exec sleep 300'
`, port, port)
}

// upWarm boots dir's stack detached; everything it runs carries id.
func upWarm(t *testing.T, dir, id string, args ...string) {
	t.Helper()
	t.Cleanup(func() {
		hiverun(t, dir, nil, "stop")
		for _, pid := range bench.Living(id) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	r := hiverun(t, dir, []string{"BENCH_ID=" + id}, append([]string{"up", "--detach"}, args...)...)
	if r.code != 0 {
		t.Fatalf("up --detach: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// states is each instance's state and pid from status --json.
func states(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, in := range status(t, dir).Instances {
		out[in.Name] = fmt.Sprintf("%s %d", in.State, in.PID)
	}
	return out
}

// TestRunWithReusesDetached: run --with web in a folder where a detached
// stack runs uses its web (same pid before and after), runs the command
// with web's port, leaves the stack as it was (worker, which it was never
// asked for, still running), and exits with the command's status.
func TestRunWithReusesDetached(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": warmProcfile(port)})
	upWarm(t, dir, "warm1")
	before := states(t, dir)
	if !strings.HasPrefix(before["web.1"], "ready ") || !strings.HasPrefix(before["worker.1"], "ready ") {
		t.Fatalf("before: %v", before)
	}
	r := hiverun(t, dir, nil, "run", "--with", "web", "--", "sh", "-c",
		`python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:'+sys.argv[1]+'/')" $WEB_PORT && echo served on $WEB_PORT; exit 7`)
	if r.code != 7 || !strings.Contains(r.stdout, fmt.Sprintf("served on %d", port)) {
		t.Fatalf("run --with: exit %d, want 7\n%s%s", r.code, r.stdout, r.stderr)
	}
	after := states(t, dir)
	if after["web.1"] != before["web.1"] || after["worker.1"] != before["worker.1"] {
		t.Fatalf("the stack changed under run --with:\nbefore %v\nafter  %v\n%s", before, after, r.stderr)
	}
	if !status(t, dir).Supervisor.Alive {
		t.Fatal("the detached supervisor is gone after run --with")
	}
	if !strings.Contains(r.stderr, "using the stack that runs here (supervisor pid") {
		t.Fatalf("run --with does not say it uses the running stack:\n%s", r.stderr)
	}
}

// TestRunWithStartsWhatIsMissing: in a detached stack where worker was
// stopped, run --with worker has the supervisor start worker (it runs
// while the command does), then stops only worker; web keeps its pid.
func TestRunWithStartsWhatIsMissing(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": warmProcfile(port)})
	upWarm(t, dir, "warm2")
	if r := hiverun(t, dir, nil, "stop", "worker"); r.code != 0 {
		t.Fatalf("stop worker: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before := states(t, dir)
	if !strings.HasSuffix(before["worker.1"], " 0") {
		t.Fatalf("worker after stop: %v", before)
	}
	r := hiverun(t, dir, nil, "run", "--with", "worker", "--", "sh", "-c", `kill -0 "$(cat worker.pid)" && echo worker runs as $(cat worker.pid)`)
	if r.code != 0 || !strings.Contains(r.stdout, "worker runs as") {
		t.Fatalf("run --with worker: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pid := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.stdout), "worker runs as"))
	after := states(t, dir)
	if after["web.1"] != before["web.1"] || !strings.HasSuffix(after["worker.1"], " 0") {
		t.Fatalf("after run --with worker, want web as it was and worker stopped again:\nbefore %v\nafter  %v\n%s", before, after, r.stderr)
	}
	if _, err := os.Stat("/proc/" + pid); err == nil {
		t.Fatalf("worker (pid %s), started for the command, still runs", pid)
	}
	if !strings.Contains(r.stderr, "stopped worker, started for this command") {
		t.Fatalf("run --with does not say what it stopped:\n%s", r.stderr)
	}
}

// TestRunWithForegroundStack: a foreground hiverun in another process is
// used the same way, and is still running afterwards.
func TestRunWithForegroundStack(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": warmProcfile(port)})
	s := startAndWait(t, dir)
	before := states(t, dir)
	r := hiverun(t, dir, nil, "run", "--with", "web", "--", "sh", "-c", "echo port $WEB_PORT")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("port %d", port)) {
		t.Fatalf("run --with web: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	after := states(t, dir)
	if after["web.1"] != before["web.1"] || after["worker.1"] != before["worker.1"] {
		t.Fatalf("the stack changed under run --with:\nbefore %v\nafter  %v\n%s", before, after, r.stderr)
	}
	if out := s.Output(); strings.Contains(out, "stopping") || s.Cmd.ProcessState != nil {
		t.Fatalf("the foreground stack stopped:\n%s", out)
	}
	if _, err := s.Interrupt(); err != nil {
		t.Fatal(err)
	}
}

// TestRunWithChangedProcfile: a process whose Procfile line changed since
// the stack started it is not reused and not stopped: run --with says so
// and refuses (exit 3); the stack runs on as it was.
func TestRunWithChangedProcfile(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": warmProcfile(port)})
	upWarm(t, dir, "warm3")
	before := states(t, dir)
	edited := strings.Replace(warmProcfile(port), "--bind 127.0.0.1", "--bind 127.0.0.1 --directory .", 1)
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	r := hiverun(t, dir, nil, "run", "--with", "web", "--", "echo", "ran")
	if r.code != 3 || strings.Contains(r.stdout, "ran") || !strings.Contains(r.stderr, "runs web (command changed) with other settings") {
		t.Fatalf("run --with after an edit: exit %d, want 3 naming the change\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after := states(t, dir); after["web.1"] != before["web.1"] || after["worker.1"] != before["worker.1"] {
		t.Fatalf("the stack changed:\nbefore %v\nafter  %v", before, after)
	}
}

// TestRunWithAddsToTheStack: beside a detached stack started with worker
// only, run --with web has the supervisor add web (it serves while the
// command runs), then stops web; worker runs on, untouched.
func TestRunWithAddsToTheStack(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": warmProcfile(port)})
	upWarm(t, dir, "warm4", "worker")
	before := states(t, dir)
	r := hiverun(t, dir, nil, "run", "--with", "web", "--", "sh", "-c",
		`python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:'+sys.argv[1]+'/')" $WEB_PORT && echo served`)
	if r.code != 0 || !strings.Contains(r.stdout, "served") {
		t.Fatalf("run --with web beside a stack of worker: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	after := states(t, dir)
	if after["worker.1"] != before["worker.1"] || !strings.HasSuffix(after["web.1"], " 0") {
		t.Fatalf("want worker as it was and web stopped:\nbefore %v\nafter  %v\n%s", before, after, r.stderr)
	}
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Fatalf("web, started for the command, still serves on %d", port)
	}
	if !status(t, dir).Supervisor.Alive {
		t.Fatal("the detached supervisor is gone after run --with")
	}
	// The stack is still the one up --detach asked for: run again, it
	// keeps it.
	r = hiverun(t, dir, []string{"BENCH_ID=warm4"}, "up", "--detach", "worker")
	if again := states(t, dir); r.code != 0 || again["worker.1"] != before["worker.1"] {
		t.Fatalf("up --detach worker after run --with web: exit %d, worker %s (was %s)\n%s%s", r.code, again["worker.1"], before["worker.1"], r.stdout, r.stderr)
	}
}

// TestRunWithTwoCommands: two run --with worker at once beside a stack
// where worker was stopped: the first to finish leaves worker running for
// the other, and the last stops it.
func TestRunWithTwoCommands(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": warmProcfile(port)})
	upWarm(t, dir, "warm5")
	if r := hiverun(t, dir, nil, "stop", "worker"); r.code != 0 {
		t.Fatalf("stop worker: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A waits for B to be up, then ends; B checks worker once A is gone.
	a := exec.Command(bin, "run", "--with", "worker", "--", "sh", "-c", "touch a.up; until [ -f b.up ]; do sleep 0.05; done")
	a.Dir = dir
	var aErr strings.Builder
	a.Stderr = &aErr
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Process.Kill() })
	waitUntil(t, "the first command", 20*time.Second, func() bool { _, err := os.Stat(filepath.Join(dir, "a.up")); return err == nil })
	bDone := make(chan result, 1)
	go func() {
		bDone <- hiverun(t, dir, nil, "run", "--with", "worker", "--", "sh", "-c",
			`touch b.up; until [ -f a.gone ]; do sleep 0.05; done; kill -0 "$(cat worker.pid)" && echo worker still runs`)
	}()
	if err := a.Wait(); err != nil {
		t.Fatalf("the first run: %v\n%s", err, aErr.String())
	}
	if !strings.Contains(aErr.String(), "kept worker, which another command still uses") {
		t.Fatalf("the first run to end does not keep worker for the other:\n%s", aErr.String())
	}
	os.WriteFile(filepath.Join(dir, "a.gone"), nil, 0o644)
	b := <-bDone
	if b.code != 0 || !strings.Contains(b.stdout, "worker still runs") || !strings.Contains(b.stderr, "stopped worker, started for this command") {
		t.Fatalf("the second run: exit %d\n%s%s", b.code, b.stdout, b.stderr)
	}
	if st := states(t, dir); !strings.HasSuffix(st["worker.1"], " 0") || !strings.HasPrefix(st["web.1"], "ready") {
		t.Fatalf("after both runs: %v", st)
	}
}

// TestRunWithSaysWhyItCannot: when the running stack cannot start what the
// command needs, run --with says so (the message was built, then dropped
// on the way to the screen: only the exit code came out).
func TestRunWithSaysWhyItCannot(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 300\n# hiverun: health=\"exec:false\" timeout=1s\nbroken: sleep 300\n"})
	if r := hiverun(t, dir, nil, "up", "--detach", "web"); r.code != 0 {
		t.Fatalf("up --detach web: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	r := hiverun(t, dir, nil, "run", "--with", "broken", "--", "echo", "ran")
	if r.code != 1 || strings.Contains(r.stdout, "ran") {
		t.Fatalf("exit %d, want 1 and the command not run\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "hiverun: the running stack could not start what the command needs") {
		t.Fatalf("no reason on stderr:\n%s", r.stderr)
	}
}

// TestRunWithColdKeepsStdout: a run --with that boots its own stack gives
// stdout to the command alone (`> out.json` gets curl's answer); the
// stack's lines go to stderr. They were mixed into stdout.
func TestRunWithColdKeepsStdout(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sh -c 'echo web up; exec sleep 300'\n"})
	r := hiverun(t, dir, nil, "run", "--with", "web", "--", "echo", "the answer")
	if r.code != 0 || r.stdout != "the answer\n" {
		t.Fatalf("exit %d; stdout %q, want the command's line alone\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "web started") {
		t.Errorf("the stack's lines are not on stderr:\n%s", r.stderr)
	}
}

// TestRunWithQuickCommandsExitClean: a command run --with starts is
// registered with the stack's reaper, so its exit status stays with its
// Wait; a quick one was sometimes reaped first ("waitid: no child
// processes", exit 1).
func TestRunWithQuickCommandsExitClean(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 300\n"})
	for i := 0; i < 40; i++ {
		r := hiverun(t, dir, nil, "run", "--with", "web", "--", "sh", "-c", "exit 3")
		if r.code != 3 {
			t.Fatalf("round %d: exit %d, want the command's 3\n%s", i, r.code, r.stderr)
		}
	}
}
