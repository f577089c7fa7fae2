//go:build linux

package main_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/bench"
)

// freePort is a port the kernel just gave out and took back: free now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestTakeoverSaysWho: a second foreground hiverun takes over, and the
// first one's screen says who did; a `hiverun stop` from another terminal
// is named the same way, not as a bare signal.
func TestTakeoverSaysWho(t *testing.T) {
	dir := project(t, map[string]string{"Procfile": "app: sleep 300\n"})
	first := startAndWait(t, dir)
	second := startAndWait(t, dir)
	if err := first.Cmd.Wait(); err != nil {
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
	go func() { done <- second.Cmd.Wait() }()
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
