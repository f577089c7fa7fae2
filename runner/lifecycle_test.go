//go:build linux

package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/life"
)

// controlled starts h's stack with a control channel and returns a way to
// ask it and the channel of Run's result.
func controlled(t *testing.T, h *harness, mod func(*Options)) (func(op string, deps bool, names ...string) (life.ControlReply, time.Duration), <-chan error) {
	ctl := make(chan life.ControlRequest)
	res := h.start(t.Context(), func(o *Options) {
		o.Control = ctl
		if mod != nil {
			mod(o)
		}
	})
	ask := func(op string, deps bool, names ...string) (life.ControlReply, time.Duration) {
		t.Helper()
		began := time.Now()
		reply := make(chan life.ControlReply, 1)
		select {
		case ctl <- life.ControlRequest{Op: op, Names: names, Deps: deps, Reply: reply}:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s %v not taken; output:\n%s", op, names, h.out)
		}
		select {
		case r := <-reply:
			return r, time.Since(began)
		case <-time.After(15 * time.Second):
			t.Fatalf("no reply to %s %v; output:\n%s", op, names, h.out)
			return life.ControlReply{}, 0
		}
	}
	return ask, res
}

func (h *harness) countFor(s string, n int, limit time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for strings.Count(h.out.String(), s) < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("%q %d times, want %d; output:\n%s", s, strings.Count(h.out.String(), s), n, h.out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUnhealthyThenHealthy (defect 1): with restart=no, a service that
// answers 503 for a while is said unhealthy once and healthy again once,
// and its state follows.
func TestUnhealthyThenHealthy(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	h := newHarness(t, fmt.Sprintf("# hiverun: port=%d health=http://127.0.0.1:$PORT/\napi: python3 -u server.py\n", port))
	h.write("server.py", `import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503 if os.path.exists('down') else 200)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
`)
	_, res := controlled(t, h, func(o *Options) { o.HealthInterval = 50 * time.Millisecond })
	h.waitFor("| ready in", 10*time.Second)
	h.write("down", "")
	h.waitFor("api is unhealthy", 5*time.Second)
	time.Sleep(2 * time.Second)
	os.Remove(filepath.Join(h.dir, "down"))
	h.waitFor("api is healthy again", 2*time.Second)
	time.Sleep(200 * time.Millisecond)
	out := h.out.String()
	if n := strings.Count(out, "is unhealthy"); n != 1 {
		t.Errorf("%d unhealthy lines, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "healthy again"); n != 1 {
		t.Errorf("%d healthy-again lines, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "api started"); n != 1 || strings.Contains(out, "restarted") {
		t.Errorf("restart=no restarted it:\n%s", out)
	}
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// TestStopAnsweredInEveryState (defect 2, and must-show 3): stop NAME is
// answered within 1 s whatever the instance is doing — backing off,
// waiting for its dependencies, in its readiness check, ready, unhealthy,
// exited, failed or skipped.
func TestStopAnsweredInEveryState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `# hiverun: restart=always
crashy: sh -c 'echo crash; sleep 0.1; exit 1'
# hiverun: health=exec:false timeout=30s
slow: sleep 30
# hiverun: depends=slow
waiter: sleep 30
ready: sleep 30
# hiverun: health="exec:test ! -e sick"
sick: sleep 30
# hiverun: optional
ended: true
# hiverun: optional health=exec:false timeout=100ms
broken: sleep 30
# hiverun: depends=broken optional
orphan: sleep 30
`)
	ask, res := controlled(t, h, func(o *Options) { o.HealthInterval = 30 * time.Millisecond })
	h.waitFor("crashy exited with code 1: restarting in", 5*time.Second)
	h.waitFor("sick ready", 5*time.Second)
	h.waitFor("orphan (optional) skipped", 5*time.Second)
	h.write("sick", "")
	h.waitFor("sick is unhealthy", 5*time.Second)
	for _, name := range []string{"ended", "broken", "orphan", "crashy", "waiter", "slow", "ready", "sick"} {
		r, took := ask("stop", false, name)
		if !r.OK {
			t.Errorf("stop %s: %+v", name, r)
		}
		if took > time.Second {
			t.Errorf("stop %s answered in %s", name, took)
		}
	}
	// Everything has ended: the stack ends by itself, not as a failure.
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("%v\n%s", err, h.out)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the stack did not end; output:\n%s", h.out)
	}
}

// TestFailedRestartThenGood (defect 3): a restart that fails, then one
// that succeeds, and the stack still ends by itself once every process
// has ended.
func TestFailedRestartThenGood(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `# hiverun: optional
keeper: sleep 3
# hiverun: health="exec:test -e up" timeout=1s optional
api: sh -c 'n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; echo "run $n"; case $n in 2) exit 3;; 3) touch up; sleep 0.5; exit 0;; *) touch up; exec sleep 30;; esac'
`)
	ask, res := controlled(t, h, nil)
	h.waitFor("| ready in", 5*time.Second)
	os.Remove(filepath.Join(h.dir, "up"))
	if r, _ := ask("restart", false, "api"); r.OK || !strings.Contains(r.Error, "exited with code 3") {
		t.Fatalf("a failing restart answered %+v", r)
	}
	if r, _ := ask("restart", false, "api"); !r.OK {
		t.Fatalf("restart: %+v\n%s", r, h.out)
	}
	select {
	case err := <-res:
		var e *ExitError
		if err != nil && !(errors.As(err, &e) && e.Code == 0) {
			t.Fatalf("%v\n%s", err, h.out)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the stack did not end when its only process did; output:\n%s", h.out)
	}
}

// TestRestartRerunsOneshots (defect 5): restart redis --deps reruns the
// migration before the API comes back; restart migrate reruns it alone;
// restart redis without --deps leaves its dependents alone.
func TestRestartRerunsOneshots(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `redis: sh -c 'echo "redis pid $$"; exec sleep 30'
# hiverun: oneshot depends=redis
migrate: sh -c 'sleep 0.2; echo migrated'
# hiverun: depends=migrate
api: sh -c 'echo "api pid $$"; exec sleep 30'
`)
	ask, res := controlled(t, h, nil)
	h.waitFor("| ready in", 5*time.Second)
	if r, _ := ask("restart", false, "redis"); !r.OK {
		t.Fatalf("restart redis: %+v", r)
	}
	h.countFor("redis pid", 2, 2*time.Second)
	if n := strings.Count(h.out.String(), "migrated"); n != 1 {
		t.Fatalf("migrate ran %d times without --deps", n)
	}
	if r, _ := ask("restart", false, "migrate"); !r.OK {
		t.Fatalf("restart migrate: %+v", r)
	}
	h.countFor("migrated", 2, 2*time.Second)
	if r, _ := ask("restart", true, "redis"); !r.OK {
		t.Fatalf("restart redis --deps: %+v\n%s", r, h.out)
	}
	h.countFor("api pid", 2, 2*time.Second)
	out := h.out.String()
	if n := strings.Count(out, "migrated"); n != 3 {
		t.Fatalf("migrate ran %d times, want 3:\n%s", n, out)
	}
	if strings.LastIndex(out, "migrate done") > strings.LastIndex(out, "api pid") {
		t.Fatalf("the API came back before the migration ran:\n%s", out)
	}
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// TestQuickExitWithoutCheck: a process without a readiness check is ready
// once it is spawned, so one that ends at once with code 0 has run, not
// failed. Its readiness used to be posted by a goroutine that could lose
// the race with its exit: under load the stack failed "before it was ready".
func TestQuickExitWithoutCheck(t *testing.T) {
	t.Parallel()
	var pf strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&pf, "q%02d: true\n", i)
	}
	h := newHarness(t, pf.String())
	if err := h.run(20*time.Second, nil); err != nil {
		t.Fatalf("%v\n%s", err, h.out)
	}
	if out := h.out.String(); strings.Contains(out, "before it was ready") {
		t.Fatalf("a quick exit counted as a failure:\n%s", out)
	}
}

// TestRestartWithoutCheckOneLine: a process without a check or delay is
// ready when it is started, so its restart is said in one line, as its
// first start is; "ready again in 0.00s" after it was noise.
func TestRestartWithoutCheckOneLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "worker: sleep 30\n")
	ask, res := controlled(t, h, nil)
	h.waitFor("| ready in", 10*time.Second)
	if r, _ := ask("restart", false, "worker"); !r.OK {
		t.Fatalf("restart: %s", r.Error)
	}
	h.waitFor("worker restarted (pid", 10*time.Second)
	h.sigs <- syscall.SIGINT
	<-res
	if out := h.out.String(); strings.Contains(out, "ready again") {
		t.Fatalf("a second line for the restart:\n%s", out)
	}
}

// TestRequiredBehindOptional: an optional process that fails, with a
// required process depending on it, says that the stack stops (it said
// "the rest of the stack goes on", then stopped it), and the stop names
// the required process as unable to start, not as failed.
func TestRequiredBehindOptional(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: optional health=\"exec:false\" timeout=2s\ncache: sh -c 'exit 1'\n# hiverun: depends=cache\nwarm: sleep 30\nweb: sleep 30\n")
	err := h.run(20*time.Second, nil)
	if exitCode(err) != 1 {
		t.Fatalf("ended with %v\n%s", err, h.out)
	}
	out := h.out.String()
	for _, want := range []string{"its dependents are skipped; warm is required, so the stack stops", "stopping: warm could not start"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "the rest of the stack goes on") {
		t.Errorf("says the stack goes on:\n%s", out)
	}
}
