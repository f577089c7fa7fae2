//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/probe"
)

// TestSignalTwiceIsOneRequest: GNU timeout signals its child, then the
// whole process group, so hiverun gets SIGTERM twice at once. That is one
// request: every process still gets its grace period.
func TestSignalTwiceIsOneRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `slow: sh -c 'trap "sleep 0.4; echo bye > graceful; exit 0" TERM; echo up; while :; do sleep 0.05; done'`+"\n")
	res := h.start(t.Context(), nil)
	h.waitFor("| up", 5*time.Second)
	h.sigs <- syscall.SIGTERM
	h.sigs <- syscall.SIGTERM
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "graceful")); err != nil {
		t.Errorf("the process did not get its grace period: %v\n%s", err, h.out)
	}
	out := h.out.String()
	if !strings.Contains(out, "stopping: received SIGTERM") || !strings.Contains(out, "received SIGTERM again within 1s: the same request") {
		t.Errorf("output:\n%s", out)
	}
	if strings.Contains(out, "killing everything") {
		t.Errorf("killed at once:\n%s", out)
	}
}

// kernelPort is a free port the kernel picked (freePort).
func kernelPort(t *testing.T) int { return freePort(t) }

// TestReadinessDoesNotFlood: an app answering 404 for its whole 4 s budget
// gets a few dozen requests, so its own log (one line per request) still
// shows what matters in the failure report, which names the last answer
// and the time spent of the budget.
func TestReadinessDoesNotFlood(t *testing.T) {
	t.Parallel()
	port := kernelPort(t)
	h := newHarness(t, fmt.Sprintf("# hiverun: port=%d health=/health timeout=4s\napi: python3 -u -m http.server %d --bind 127.0.0.1\n", port, port))
	err := h.run(30*time.Second, func(o *Options) { o.TailLines = 3 })
	if exitCode(err) != 1 {
		t.Fatalf("exit %v\n%s", err, h.out)
	}
	out := h.out.String()
	requests := strings.Count(out, "GET /health")
	t.Logf("%d requests in 4s", requests)
	if requests > 48 {
		t.Errorf("%d requests in 4s: the app's log is flooded", requests)
	}
	want := fmt.Sprintf("api (required) failed: not ready within its timeout of 4s (http://127.0.0.1:%d/health: HTTP 404, ", port)
	if !strings.Contains(out, want) || !strings.Contains(out, " of 4s, ") {
		t.Errorf("no %q ... of 4s in the report:\n%s", want, out)
	}
}

// TestProbeDoesNotFlood: `hiverun probe`, which exported units and
// containers run as their readiness check, backs off the same way.
func TestProbeDoesNotFlood(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "x: true\n") // only for the leftover check
	port := kernelPort(t)
	srv := exec.Command("python3", "-u", "-m", "http.server", fmt.Sprint(port), "--bind", "127.0.0.1", "--directory", h.dir)
	srv.Env = append(os.Environ(), "HIVERUN_TEST_ID="+h.id)
	logged := &syncBuffer{}
	srv.Stderr = logged
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	c := procfile.Check{Kind: procfile.CheckHTTP, URL: fmt.Sprintf("http://127.0.0.1:%d/health", port)}
	// 5s: python may take a second or two to answer on a loaded machine.
	err := probe.Wait(context.Background(), c, probe.Options{Timeout: 5 * time.Second})
	var te *probe.TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("probe: %v", err)
	}
	if n := strings.Count(logged.String(), "GET /health"); n > 60 {
		t.Errorf("%d requests in 5s (%d tries): the app's log is flooded", n, te.Tries)
	}
}
