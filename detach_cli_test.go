//go:build linux

package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/bench"
	"github.com/hiverun/hiverun/runner/proc"
)

// ciStack is 5 services: a migration, a backend, a front end, a worker,
// and a real redis-server when it is installed.
func ciStack(t *testing.T, port int, broken bool) string {
	backend := fmt.Sprintf("python3 -m http.server %d --bind 127.0.0.1", port)
	if broken {
		backend = "sh -c 'echo backend: cannot open config; echo details here; exit 4'"
	}
	pf := fmt.Sprintf(`# hiverun: oneshot
migrate: echo migrated
# hiverun: port=%d health=/ depends=migrate timeout=20s
backend: %s
# hiverun: port=%d depends=backend
site: python3 -m http.server %d --bind 127.0.0.1
# hiverun: depends=backend delay=200ms
worker: sh -c 'echo working; exec sleep 300'
`, port, backend, port+1, port+1)
	if _, err := exec.LookPath("redis-server"); err == nil {
		pf += fmt.Sprintf("# hiverun: port=%d health=\"exec:redis-cli -p $PORT ping\"\nredis: redis-server --port $PORT --save '' --appendonly no --bind 127.0.0.1\n", port+2)
	} else {
		t.Log("redis-server is not installed: the stack runs without it")
		pf += "cache: sleep 300\n"
	}
	return pf
}

type statusJSON struct {
	Supervisor struct{ Alive bool }
	Instances  []struct {
		Name  string
		State string
		PID   int
	}
	OK bool
}

func status(t *testing.T, dir string) statusJSON {
	t.Helper()
	r := hiverun(t, dir, nil, "status", "--json")
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	return st
}

// TestUpDetachCI is the CI-shaped script: up --detach, an HTTP request,
// status --json, stop; and the same stack with a broken service.
func TestUpDetachCI(t *testing.T) {
	t.Parallel()
	port := portBase(t, 4)
	dir := project(t, map[string]string{"Procfile": ciStack(t, port, false)})
	report := filepath.Join(dir, "boot.json")
	r := hiverun(t, dir, []string{"BENCH_ID=upci"}, "up", "--detach", "--report", report)
	t.Cleanup(func() {
		for _, pid := range bench.Living("upci") {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if r.code != 0 || !strings.Contains(r.stdout, "ready in") {
		t.Fatalf("up: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("backend: %v", err)
	}
	resp.Body.Close()
	st := status(t, dir)
	if !st.OK || !st.Supervisor.Alive || len(st.Instances) != 5 {
		t.Fatalf("status: %+v", st)
	}
	for _, in := range st.Instances {
		if in.State != "ready" && !(in.Name == "migrate.1" && in.State == "exited") {
			t.Errorf("%s is %s", in.Name, in.State)
		}
	}
	var rep struct {
		OK        bool
		Processes []struct {
			Name  string
			Ready bool
			Check string
		}
	}
	b, _ := os.ReadFile(report)
	if json.Unmarshal(b, &rep); !rep.OK || len(rep.Processes) != 5 || rep.Processes[1].Check == "" {
		t.Fatalf("report: %s", b)
	}
	r = hiverun(t, dir, nil, "logs", "-n", "50", "worker")
	if !strings.Contains(r.stdout, "worker | working") {
		t.Errorf("logs: %q %q", r.stdout, r.stderr)
	}
	if r := hiverun(t, dir, nil, "stop"); r.code != 0 {
		t.Fatalf("stop: %s", r.stderr)
	}
	waitGone(t, "upci", 2*time.Second)

	broken := project(t, map[string]string{"Procfile": ciStack(t, port+10, true)})
	r = hiverun(t, broken, []string{"BENCH_ID=upbroken"}, "up", "--detach", "--report", report)
	if r.code != 1 || !strings.Contains(r.stdout, "backend") || !strings.Contains(r.stdout, "  backend: cannot open config") || !strings.Contains(r.stdout, "  details here") {
		t.Fatalf("broken stack: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	waitGone(t, "upbroken", 2*time.Second)
	b, _ = os.ReadFile(report)
	if !strings.Contains(string(b), `"process": "backend"`) || !strings.Contains(string(b), "details here") {
		t.Errorf("failure report: %s", b)
	}
}

// TestUpDetachIdempotent: run again unchanged, it returns at once and
// every pid stays.
func TestUpDetachIdempotent(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "a: sleep 300\nb: sh -c 'sleep 300 & exec sleep 301'\n"})
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up: %s%s", r.stdout, r.stderr)
	}
	before := status(t, dir)
	start := time.Now()
	r := hiverun(t, dir, nil, "up", "--detach")
	d := time.Since(start)
	if r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Fatalf("second up: %s%s", r.stdout, r.stderr)
	}
	if perfBounds() && d > 300*time.Millisecond {
		t.Errorf("second up took %s", d)
	}
	after := status(t, dir)
	for i := range before.Instances {
		if before.Instances[i].PID != after.Instances[i].PID || after.Instances[i].PID == 0 {
			t.Errorf("pids changed: %+v -> %+v", before.Instances, after.Instances)
		}
	}
	// One command edited: only that process gets a new pid.
	os.WriteFile(filepath.Join(dir, "Procfile"), []byte("a: sleep 301\nb: sh -c 'sleep 300 & exec sleep 301'\n"), 0o644)
	r = hiverun(t, dir, nil, "up", "--detach")
	if r.code != 0 || !strings.Contains(r.stdout, "restarted a") {
		t.Fatalf("up after an edit: %s%s", r.stdout, r.stderr)
	}
	edited := status(t, dir)
	if edited.Instances[0].PID == after.Instances[0].PID || edited.Instances[1].PID != after.Instances[1].PID || !edited.OK {
		t.Fatalf("after an edit: %+v -> %+v", after.Instances, edited.Instances)
	}
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Fatalf("up after the reload: %s%s", r.stdout, r.stderr)
	}
}

// TestDetachedSupervisorKilled: status and stop still work after the
// background supervisor is SIGKILLed.
func TestDetachedSupervisorKilled(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "a: sleep 300\nb: sh -c 'sleep 300 & exec sleep 301'\n"})
	if r := hiverun(t, dir, []string{"BENCH_ID=detkill"}, "up", "--detach"); r.code != 0 {
		t.Fatalf("up: %s%s", r.stdout, r.stderr)
	}
	st := status(t, dir)
	b, _ := os.ReadFile(filepath.Join(dir, ".hiverun", "lock"))
	var sup int
	fmt.Sscan(string(b), &sup)
	if sup == 0 {
		t.Fatal("no supervisor pid")
	}
	syscall.Kill(sup, syscall.SIGKILL)
	deadline := time.Now().Add(2 * time.Second)
	for proc.PidAlive(sup) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	st = status(t, dir)
	if st.OK || st.Supervisor.Alive || len(st.Instances) != 2 || st.Instances[0].State != "orphaned" {
		t.Fatalf("status after kill: %+v", st)
	}
	if r := hiverun(t, dir, nil, "stop"); r.code != 0 || !strings.Contains(r.stdout, "stopped 2") {
		t.Fatalf("stop: %s%s", r.stdout, r.stderr)
	}
	waitGone(t, "detkill", 2*time.Second)
}

// TestLogsFollowAndWaitTimeout: logs -f prints new lines as they come and
// ends with the stack; a stack not ready within --wait-timeout is
// stopped and up exits 1.
func TestLogsFollowAndWaitTimeout(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "ticker: sh -c 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done'\nb: sleep 300\n"})
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up: %s%s", r.stdout, r.stderr)
	}
	f := exec.Command(bin, "--no-color", "logs", "-f", "ticker")
	f.Dir = dir
	out := &lockedBuffer{}
	f.Stdout = out
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "ticker | tick 8\n") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r := hiverun(t, dir, nil, "stop"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	done := make(chan error, 1)
	go func() { done <- f.Wait() }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		f.Process.Kill()
		t.Fatal("logs -f did not end with the stack")
	}
	ticks := strings.Count(out.String(), "ticker | tick ")
	if ticks < 8 || strings.Contains(out.String(), "b |") {
		t.Fatalf("logs -f: %d ticks\n%s", ticks, out.String())
	}

	slow := project(t, map[string]string{"Procfile": "# hiverun: port=1 timeout=60s\nnever: sleep 300\n"})
	start := time.Now()
	r := hiverun(t, slow, []string{"BENCH_ID=waittimeout"}, "up", "--detach", "--wait-timeout", "500ms")
	if r.code != 1 || !strings.Contains(r.stderr, "not ready within --wait-timeout") || time.Since(start) > 5*time.Second {
		t.Fatalf("wait-timeout: exit %d after %s\n%s%s", r.code, time.Since(start), r.stdout, r.stderr)
	}
	waitGone(t, "waittimeout", 2*time.Second)
}

// TestUpDetachOverForeground: up --detach where a foreground hiverun runs
// the stack says that it takes that one over ("this supervisor cannot
// reload" told the user nothing), and then does.
func TestUpDetachOverForeground(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 300\n"})
	s := startAndWait(t, dir)
	r := hiverun(t, dir, nil, "up", "--detach")
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	want := fmt.Sprintf("a foreground hiverun (pid %d) runs this stack and cannot reload it: taking it over", s.Cmd.Process.Pid)
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Fatalf("exit %d, want %q in:\n%s%s", r.code, want, r.stdout, r.stderr)
	}
	s.Wait()
	if !strings.Contains(s.Output(), "stopping: taken over by hiverun") {
		t.Errorf("the foreground stack's screen:\n%s", s.Output())
	}
}
