//go:build linux

package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/life"
)

// TestRestartOnFailure: a process that crashes 5 times is restarted with
// growing delays, then stays up; its dependent keeps its pid.
func TestRestartOnFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `# hiverun: restart=on-failure
flaky: sh -c 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "run $n"; if [ $n -le 5 ]; then sleep 0.05; exit 3; fi; exec sleep 30'
# hiverun: depends=flaky
dependent: sh -c 'echo "dependent pid $$"; exec sleep 30'
`)
	res := h.start(t.Context(), nil)
	h.waitFor("flaky     | run 6", 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	out := h.out.String()
	var delays []time.Duration
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, ": restarting in "); i >= 0 {
			d, err := time.ParseDuration(l[i+len(": restarting in "):])
			if err != nil {
				t.Fatalf("bad delay in %q", l)
			}
			delays = append(delays, d)
		}
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
	if fmt.Sprint(delays) != fmt.Sprint(want) {
		t.Fatalf("delays %v, want %v\n%s", delays, want, out)
	}
	if strings.Count(out, "dependent pid") != 1 {
		t.Errorf("the dependent was restarted:\n%s", out)
	}
	select {
	case err := <-res:
		t.Fatalf("stack ended: %v\n%s", err, out)
	default:
	}
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(h.dir, "count"))
}

// TestControlRestartAndStop: restart gives an instance a new pid while the
// others keep theirs; stop stops only it, and is not a failure.
func TestControlRestartAndStop(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "a: sh -c 'echo \"a pid $$\"; exec sleep 30'\n# hiverun: depends=a\nb: sh -c 'echo \"b pid $$\"; exec sleep 30'\n")
	ctl := make(chan life.ControlRequest)
	res := h.start(t.Context(), func(o *Options) { o.Control = ctl })
	h.waitFor("| ready in", 5*time.Second)
	ask := func(op string, deps bool, names ...string) life.ControlReply {
		reply := make(chan life.ControlReply, 1)
		ctl <- life.ControlRequest{Op: op, Names: names, Deps: deps, Reply: reply}
		select {
		case r := <-reply:
			return r
		case <-time.After(10 * time.Second):
			t.Fatalf("no reply to %s %v", op, names)
			return life.ControlReply{}
		}
	}
	count := func(s string, n int) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for strings.Count(h.out.String(), s) < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if c := strings.Count(h.out.String(), s); c != n {
			t.Fatalf("%q %d times, want %d:\n%s", s, c, n, h.out)
		}
	}
	count("a pid", 1)
	count("b pid", 1)
	if r := ask("restart", false, "a"); !r.OK {
		t.Fatalf("restart: %+v", r)
	}
	count("a pid", 2)
	count("b pid", 1)
	if r := ask("restart", true, "a"); !r.OK || r.Message != "restarted a, b" {
		t.Fatalf("restart --deps: %+v", r)
	}
	count("b pid", 2)
	count("a pid", 3)
	if r := ask("stop", false, "b"); !r.OK {
		t.Fatalf("stop: %+v", r)
	}
	if r := ask("frobnicate", false, "b"); r.OK || !strings.Contains(r.Error, "unknown request") {
		t.Fatalf("bad op: %+v", r)
	}
	if r := ask("stop", false, "nope"); r.OK || !strings.Contains(r.Error, "unknown process") {
		t.Fatalf("bad name: %+v", r)
	}
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-res:
		t.Fatalf("stopping b ended the stack: %v", err)
	default:
	}
	if r := ask("restart", false, "b"); !r.OK {
		t.Fatalf("restart after stop: %+v", r)
	}
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// TestHealthMonitoring: a process that stops answering is marked
// unhealthy after 3 failed checks, healthy again when it answers, and
// with restart=always it is restarted.
func TestHealthMonitoring(t *testing.T) {
	t.Parallel()
	flag := filepath.Join(t.TempDir(), "down")
	h := newHarness(t, fmt.Sprintf("# hiverun: health=\"exec:test ! -e %s\" restart=always\napi: sh -c 'echo \"api pid $$\"; exec sleep 30'\n", flag))
	res := h.start(t.Context(), func(o *Options) { o.HealthInterval = 30 * time.Millisecond })
	h.waitFor("| ready in", 5*time.Second)
	os.WriteFile(flag, nil, 0o644)
	h.waitFor("api is unhealthy: 3 checks failed in a row", 5*time.Second)
	os.Remove(flag)
	h.waitFor("api ready again", 5*time.Second)
	for deadline := time.Now().Add(2 * time.Second); strings.Count(h.out.String(), "api pid") < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(h.out.String(), "api pid"); n != 2 {
		t.Fatalf("%d starts, want 2:\n%s", n, h.out)
	}
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}
