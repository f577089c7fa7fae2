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
	"syscall"
	"testing"
	"time"
)

// TestUnderGNUTimeout: `timeout 2 hiverun start` signals hiverun and then
// its whole process group, two SIGTERMs at once. The stack still stops in
// order and a process that needs its grace period gets it.
func TestUnderGNUTimeout(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("timeout"); err != nil {
		t.Skip("no timeout command")
	}
	dir := project(t, map[string]string{
		"Procfile": `slow: sh -c 'trap "sleep 0.5; echo bye > graceful; exit 0" TERM; echo up; while :; do sleep 0.05; done'` + "\n",
	})
	cmd := exec.Command("timeout", "2", bin, "start")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 124 {
		t.Fatalf("timeout: %v, want its exit 124\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "graceful")); err != nil {
		t.Errorf("the process was not given its grace period (%v); output:\n%s", err, out.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	s := out.String()
	// Whether the second SIGTERM is seen at all depends on timing: the Go
	// runtime merges a signal that arrives while the same one is pending.
	if !strings.Contains(s, "stopping: received SIGTERM") {
		t.Errorf("output:\n%s", s)
	}
	if strings.Contains(s, "killing everything") {
		t.Errorf("killed at once:\n%s", s)
	}
}

// TestSecondTERMWithinASecond: a wrapper slower than GNU timeout signals
// the group a little later; that second SIGTERM is still the same request.
func TestSecondTERMWithinASecond(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": `slow: sh -c 'trap "sleep 0.5; echo bye > graceful; exit 0" TERM; echo up; while :; do sleep 0.05; done'` + "\n",
	})
	cmd := exec.Command(bin, "start")
	cmd.Dir = dir
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "| up") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(100 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("hiverun did not end:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "graceful")); err != nil {
		t.Errorf("the process was not given its grace period (%v); output:\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "received SIGTERM again within 1s") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestUpDetachSaysWhy: a failed detached boot says why the process failed,
// as the foreground does — its exit code, the signal, or the timeout with
// the last check answer — before its last lines, and only this boot's.
func TestUpDetachSaysWhy(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	cases := []struct{ name, procfile, why string }{
		{"exit code", fmt.Sprintf("# hiverun: port=%d\napi: sh -c 'echo booting; sleep 0.2; exit 3'\n", port),
			"api failed: exited with code 3 before it was ready"},
		{"signal", fmt.Sprintf("# hiverun: port=%d\napi: sh -c 'echo booting; sleep 0.2; kill -TERM $$'\n", port),
			"api failed: killed by SIGTERM before it was ready"},
		{"timeout", fmt.Sprintf("# hiverun: port=%d health=/health timeout=2s\napi: python3 -m http.server %d --bind 127.0.0.1\n", port, port),
			fmt.Sprintf("api failed: not ready within its timeout of 2s (http://127.0.0.1:%d/health: HTTP 404, ", port)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := project(t, map[string]string{"Procfile": c.procfile})
			// Twice: the second report shows only its own boot's lines.
			for range 2 {
				r := hiverun(t, dir, nil, "up", "--detach", "--wait-timeout", "20s", "--report", "report.json")
				if r.code != 1 {
					t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				i := strings.Index(r.stdout, "hiverun: the stack did not come up: "+c.why)
				if i < 0 || i > strings.Index(r.stdout, " of api:\n") {
					t.Fatalf("no %q before the last lines:\n%s%s", c.why, r.stdout, r.stderr)
				}
				if c.name != "timeout" && strings.Count(r.stdout, "booting") != 1 {
					t.Errorf("lines of another boot:\n%s", r.stdout)
				}
				// The --report file says the same.
				data, err := os.ReadFile(filepath.Join(dir, "report.json"))
				if err != nil {
					t.Fatal(err)
				}
				var rep struct {
					Failure struct {
						Reason    string
						LastLines []string `json:"last_lines"`
					}
				}
				if err := json.Unmarshal(data, &rep); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(rep.Failure.Reason, c.why) || c.name != "timeout" && len(rep.Failure.LastLines) != 1 {
					t.Errorf("report: %s", data)
				}
			}
		})
	}
}

type statusHealth struct {
	OK      bool
	Message string
	At      time.Time
}

type statusRowJSON struct {
	Name   string
	State  string
	PID    int
	Health *statusHealth
}

func statusRows(t *testing.T, dir string) (map[string]statusRowJSON, result) {
	t.Helper()
	r := hiverun(t, dir, nil, "status", "--json")
	var rep struct{ Instances []statusRowJSON }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	rows := map[string]statusRowJSON{}
	for _, row := range rep.Instances {
		rows[row.Name] = row
	}
	return rows, r
}

// TestStatusTellsTheTruth: HEALTH is the last check and when it ran; a
// restarted process shows its new result at once; a process stopped on
// request is `stopped`, not `gone`, and not a failure; a stopped stack
// shows no stale `ok`.
func TestStatusTellsTheTruth(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": fmt.Sprintf(
		"# hiverun: port=%d health=/\nweb: python3 -m http.server %d --bind 127.0.0.1\nworker: sleep 300\n", port, port)})
	if r := hiverun(t, dir, nil, "up", "--detach", "--health-interval", "500ms"); r.code != 0 {
		t.Fatalf("up: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	time.Sleep(2500 * time.Millisecond)
	rows, _ := statusRows(t, dir)
	if h := rows["web.1"].Health; h == nil || !h.OK || time.Since(h.At) > 1500*time.Millisecond {
		t.Errorf("web's health is not its last check (every 500ms): %+v", h)
	}

	if r := hiverun(t, dir, nil, "restart", "web"); r.code != 0 {
		t.Fatalf("restart: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	restarted := time.Now()
	rows, _ = statusRows(t, dir)
	if h := rows["web.1"].Health; h == nil || !h.OK || h.At.Before(restarted.Add(-2*time.Second)) {
		t.Errorf("a restarted web does not show its new check: %+v", h)
	}

	if r := hiverun(t, dir, nil, "stop", "worker"); r.code != 0 {
		t.Fatalf("stop worker: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	rows, r := statusRows(t, dir)
	if rows["worker.1"].State != "stopped" || r.code != 0 {
		t.Errorf("a process stopped on request: state %q, status exit %d (want stopped, 0)\n%s", rows["worker.1"].State, r.code, r.stdout)
	}

	if r := hiverun(t, dir, nil, "stop"); r.code != 0 {
		t.Fatalf("stop: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, nil, "status")
	if strings.Contains(r.stdout, "ok (") || strings.Contains(r.stdout, "ready") || r.code != 1 {
		t.Errorf("a stopped stack shows stale cells (exit %d):\n%s", r.code, r.stdout)
	}
}

// TestStatusNoStaleWaiting: a stack whose supervisor died while a process
// still waited on its dependency shows no `waiting` that will never end.
func TestStatusNoStaleWaiting(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": fmt.Sprintf(
		"# hiverun: port=%d timeout=60s\nslow: sleep 300\n# hiverun: depends=slow\nafter: sleep 300\n", port)})
	cmd := exec.Command(bin, "start")
	cmd.Dir = dir
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, _ := statusRows(t, dir)
		if rows["after.1"].State == "waiting" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after.1 never waiting:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A supervisor killed outright: nothing will ever start `after`.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	r := hiverun(t, dir, nil, "status")
	if strings.Contains(r.stdout, "waiting") {
		t.Errorf("stale cells with no supervisor:\n%s", r.stdout)
	}
	hiverun(t, dir, nil, "stop")
	r = hiverun(t, dir, nil, "status")
	if strings.Contains(r.stdout, "waiting") || strings.Contains(r.stdout, "starting") {
		t.Errorf("stale cells on a stopped stack:\n%s", r.stdout)
	}
}

// startedBeforeOutput checks, for each of n processes pN, that hiverun's
// "pN started" line comes before pN's first line.
func startedBeforeOutput(t *testing.T, out string, n int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i := range n {
		name := fmt.Sprintf("p%d", i)
		started, first := -1, -1
		for j, l := range lines {
			head, text, ok := strings.Cut(l, " | ")
			if !ok {
				continue
			}
			fields := strings.Fields(head)
			who := fields[len(fields)-1]
			switch {
			case who == "hiverun" && strings.HasPrefix(text, name+" started (pid") && started < 0:
				started = j
			case who == name && first < 0:
				first = j
			}
		}
		if started < 0 || first < 0 || started > first {
			t.Errorf("%s: started on line %d, first output on line %d:\n%s", name, started, first, out)
			return
		}
	}
}

// TestLogsShowSupervisorLines: `logs` merges hiverun's own lines, under
// "hiverun", in time order with the processes' (so each `started` line
// comes before that process's first line, with 30 processes starting at
// once); with no detached logs it says so on stderr.
func TestLogsShowSupervisorLines(t *testing.T) {
	t.Parallel()
	const n = 30
	var pf strings.Builder
	for i := range n {
		fmt.Fprintf(&pf, "p%d: sh -c 'echo first line of p%d; exec sleep 300'\n", i, i)
	}
	dir := project(t, map[string]string{"Procfile": pf.String()})
	r := hiverun(t, dir, nil, "logs")
	if r.code == 0 || !strings.Contains(r.stderr, "no logs here") {
		t.Errorf("logs before any stack: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	var out string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out = hiverun(t, dir, nil, "--no-color", "logs", "-n", "1000").stdout
		if strings.Count(out, "first line of") == n {
			break
		}
	}
	if !strings.Contains(out, "hiverun | ready in ") {
		t.Fatalf("no hiverun lines in logs:\n%s", out)
	}
	startedBeforeOutput(t, out, n)

	// A stack that only ran in the foreground left no logs: say so.
	dir2 := project(t, map[string]string{"Procfile": "once: echo hi\n"})
	hiverun(t, dir2, nil, "start")
	r = hiverun(t, dir2, nil, "logs")
	if r.code == 0 || !strings.Contains(r.stderr, "no logs here: only a detached stack") || r.stdout != "" {
		t.Errorf("logs after a foreground stack: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestStartedBeforeFirstLine: on screen, with 40 processes that print at
// once while the machine is busy starting them, each `started` line comes
// before that process's first line.
func TestStartedBeforeFirstLine(t *testing.T) {
	t.Parallel()
	const n = 40
	var pf strings.Builder
	for i := range n {
		fmt.Fprintf(&pf, "p%d: sh -c 'echo first line of p%d; exec sleep 300'\n", i, i)
	}
	dir := project(t, map[string]string{"Procfile": pf.String()})
	cmd := exec.Command(bin, "--no-color", "start")
	cmd.Dir = dir
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for deadline := time.Now().Add(15 * time.Second); strings.Count(out.String(), "first line of") < n && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	_ = cmd.Wait()
	startedBeforeOutput(t, out.String(), n)
}

// TestSignalNamesInUpDetach: `up --detach` interrupted while it waits
// names the signal as a user looks it up: SIGINT, not "interrupt".
func TestSignalNamesInUpDetach(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	dir := project(t, map[string]string{"Procfile": fmt.Sprintf("# hiverun: port=%d timeout=60s\nslow: sleep 300\n", port)})
	cmd := exec.Command(bin, "up", "--detach")
	cmd.Dir = dir
	var errb lockedBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if rows, _ := statusRows(t, dir); rows["slow.1"].State == "starting" {
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("up --detach did not end")
	}
	if !strings.Contains(errb.String(), "hiverun: received SIGINT: stopping the stack") {
		t.Errorf("stderr: %q", errb.String())
	}
}

// TestLogsBadLinesAndForegroundName: a negative -n is bad usage, not a
// panic (it sliced out of range); and a process named in a folder whose
// stack ran in the foreground gets the same explanation (exit 1) as no
// name does, not a terse exit 2.
func TestLogsBadLinesAndForegroundName(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sh -c 'echo hi; exec sleep 300'\n"})
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up --detach: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"logs", "-n", "-5"}, {"logs", "-n", "-1", "web"}} {
		r := hiverun(t, dir, nil, args...)
		if r.code != 2 || strings.Contains(r.stderr, "panic") || !strings.Contains(r.stderr, "hiverun: --lines -") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	hiverun(t, dir, nil, "stop")

	fg := project(t, map[string]string{"Procfile": "web: sleep 300\n"})
	s := startAndWait(t, fg)
	defer s.Interrupt()
	for _, args := range [][]string{{"logs"}, {"logs", "web"}} {
		r := hiverun(t, fg, nil, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "only a detached stack (hiverun up --detach) keeps its output") {
			t.Errorf("%v in a foreground stack's folder: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}
