//go:build linux

package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/internal/freeport"
)

func syscallKill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// freePort is a port from the kernel, never one given before in this
// process (freeport.Get): it came from the clock, and two parallel tests
// could get the same one.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func exitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestOneshotsEndTheStack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: oneshot\na: echo one\n# hiverun: oneshot depends=a\nb: echo two\n")
	err := h.run(10*time.Second, nil)
	if exitCode(err) != 0 {
		t.Fatalf("err = %v\n%s", err, h.out)
	}
	out := h.out.String()
	if !strings.Contains(out, "a       | one") || !strings.Contains(out, "b       | two") {
		t.Fatalf("output:\n%s", out)
	}
	if strings.Index(out, "| one") > strings.Index(out, "| two") {
		t.Fatalf("b ran before a:\n%s", out)
	}
}

func TestFailingOneshotFailsTheStack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: oneshot\nmigrate: echo broken; exit 3\n# hiverun: depends=migrate\nweb: sleep 30\n")
	err := h.run(10*time.Second, nil)
	if exitCode(err) != 1 {
		t.Fatalf("exit = %d (%v)\n%s", exitCode(err), err, h.out)
	}
	out := h.out.String()
	for _, want := range []string{"migrate (required) failed: exited with code 3", "  broken", "stopped: migrate failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "web started") {
		t.Errorf("web started after its dependency failed:\n%s", out)
	}
}

func TestRequiredExitBeforeReady(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	var b strings.Builder
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&b, "echo line%d; ", i)
	}
	h := newHarness(t, fmt.Sprintf("other: sleep 30\n# hiverun: port=%d\napi: %s exit 4\n", port, b.String()))
	start := time.Now()
	err := h.run(20*time.Second, nil)
	if exitCode(err) != 1 {
		t.Fatalf("exit = %d\n%s", exitCode(err), h.out)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("took %s to fail", time.Since(start))
	}
	out := h.out.String()
	if !strings.Contains(out, "api (required) failed: exited with code 4 before it was ready") {
		t.Fatalf("output:\n%s", out)
	}
	// The last 10 lines, and only those, in the report.
	report := out[strings.Index(out, "last 10 lines of api:"):]
	if !strings.Contains(report, "  line6") || !strings.Contains(report, "  line15") || strings.Contains(report, "  line5\n") {
		t.Errorf("report:\n%s", report)
	}
}

func TestReadinessTimeout(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	h := newHarness(t, fmt.Sprintf("# hiverun: port=%d timeout=300ms\napi: sh -c 'echo waiting; sleep 30'\n", port))
	start := time.Now()
	err := h.run(20*time.Second, nil)
	if exitCode(err) != 1 {
		t.Fatalf("exit = %d\n%s", exitCode(err), h.out)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
	if !strings.Contains(h.out.String(), "not ready within its timeout of 300ms (tcp://127.0.0.1:"+strconv.Itoa(port)+": connection refused") {
		t.Errorf("output:\n%s", h.out)
	}
}

// TestOneshotOutputBeforeDone: a oneshot's output is shown before the
// line saying it is done. Its exit used to be reported without waiting for
// its pipe to drain, so under load "done" could come first.
func TestOneshotOutputBeforeDone(t *testing.T) {
	t.Parallel()
	var pf strings.Builder
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&pf, "# hiverun: oneshot\nt%02d: echo ran t%02d\n", i, i)
	}
	fmt.Fprintf(&pf, "# hiverun: depends=%s\nafter: echo all done\n", func() string {
		var d []string
		for i := 0; i < 20; i++ {
			d = append(d, fmt.Sprintf("t%02d", i))
		}
		return strings.Join(d, ",")
	}())
	h := newHarness(t, pf.String())
	if err := h.run(20*time.Second, nil); err != nil {
		t.Fatalf("%v\n%s", err, h.out)
	}
	out := h.out.String()
	for i := 0; i < 20; i++ {
		line := strings.Index(out, fmt.Sprintf("| ran t%02d", i))
		done := strings.Index(out, fmt.Sprintf("t%02d done in", i))
		if line < 0 || done < 0 || line > done {
			t.Errorf("t%02d: output at %d, done at %d:\n%s", i, line, done, out)
		}
	}
}

func TestOptionalFailureSkipsDependents(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `# hiverun: optional port=1 timeout=200ms
redis: sh -c 'echo no redis here; exit 1'
# hiverun: depends=redis optional
worker: sleep 30
# hiverun: oneshot
task: echo task ran
web: sh -c 'echo web up; sleep 30'
`)
	res := h.start(t.Context(), nil)
	h.waitFor("| ready in", 10*time.Second)
	// web is ready once started; its first line may come after the summary.
	h.waitFor("web     | web up", 5*time.Second)
	out := h.out.String()
	for _, want := range []string{"redis (optional) failed", "worker (optional) skipped: it depends on redis", "task    | task ran", "web     | web up", "(2 optional not running)"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatalf("interrupted stack: %v", err)
	}
}

func TestRequiredDependentOfOptionalFailsStack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: optional delay=200ms\nredis: exit 1\n# hiverun: depends=redis\nworker: sleep 30\n")
	if err := h.run(10*time.Second, nil); exitCode(err) != 1 {
		t.Fatalf("exit = %d\n%s", exitCode(err), h.out)
	}
}

func TestRequiredExitAfterReadyStopsStack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "short: sh -c 'sleep 0.3; exit 0'\nlong: sleep 30\n")
	err := h.run(10*time.Second, nil)
	if exitCode(err) != 0 {
		t.Fatalf("exit 0 of a required process: %v\n%s", err, h.out)
	}
	h = newHarness(t, "short: sh -c 'sleep 0.3; exit 2'\nlong: sleep 30\n")
	if err := h.run(10*time.Second, nil); exitCode(err) != 1 {
		t.Fatalf("exit 2 of a required process: %v\n%s", err, h.out)
	}
	if !strings.Contains(h.out.String(), "short exited with code 2") {
		t.Errorf("output:\n%s", h.out)
	}
}

func TestOptionalExitAfterReadyKeepsStack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: optional\nshort: sh -c 'sleep 0.2; exit 2'\nlong: sleep 30\n")
	res := h.start(t.Context(), nil)
	h.waitFor("short exited with code 2", 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-res:
		t.Fatalf("stack ended: %v\n%s", err, h.out)
	default:
	}
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// TestStopOrder checks that dependents are stopped before what they depend
// on: each process logs when it receives TERM.
func TestStopOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `db: sh -c 'trap "echo db-term; exit 0" TERM; echo up; while :; do sleep 0.01; done'
# hiverun: depends=db
api: sh -c 'trap "sleep 0.2; echo api-term; exit 0" TERM; echo up; while :; do sleep 0.01; done'
# hiverun: depends=api
web: sh -c 'trap "sleep 0.2; echo web-term; exit 0" TERM; echo up; while :; do sleep 0.01; done'
`)
	res := h.start(t.Context(), nil)
	for _, n := range []string{"db ", "api", "web"} {
		h.waitFor(n+"     | up", 5*time.Second)
	}
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	out := h.out.String()
	w, a, d := strings.Index(out, "web-term"), strings.Index(out, "api-term"), strings.Index(out, "db-term")
	if w < 0 || a < 0 || d < 0 || !(w < a && a < d) {
		t.Fatalf("stop order wrong (web %d, api %d, db %d):\n%s", w, a, d, out)
	}
}

func TestGraceThenKill(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: grace=300ms\nstubborn: sh -c 'trap \"echo ignoring\" TERM; echo up; while :; do sleep 0.01; done'\nfine: sleep 30\n")
	res := h.start(t.Context(), nil)
	h.waitFor("stubborn | up", 5*time.Second)
	start := time.Now()
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	if d < 300*time.Millisecond || d > 1500*time.Millisecond {
		t.Errorf("stop took %s, want about the 300ms grace", d)
	}
	if !strings.Contains(h.out.String(), "stubborn did not stop within 300ms: killing it") {
		t.Errorf("output:\n%s", h.out)
	}
}

func TestSecondInterruptKillsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "stubborn: sh -c 'trap \"\" TERM; echo up; while :; do sleep 0.01; done'\n")
	res := h.start(t.Context(), nil) // grace is 5s
	h.waitFor("stubborn | up", 5*time.Second)
	h.sigs <- syscall.SIGINT
	h.waitFor("stopping: received SIGINT", 5*time.Second)
	// A second signal within a second is the same request (CI wrappers
	// signal twice); a later one is the user insisting.
	time.Sleep(sameRequest + 100*time.Millisecond)
	start := time.Now()
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("second interrupt took %s", d)
	}
}

// TestGrandchildrenStopped: a process's backgrounded child is in its group
// and is stopped with it.
func TestGrandchildrenStopped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "p%d: sh -c 'sleep 60 & sleep 60 & wait'\n", i)
	}
	h := newHarness(t, b.String())
	res := h.start(t.Context(), nil)
	h.waitFor("| ready in", 5*time.Second)
	deadline := time.Now().Add(2 * time.Second)
	for len(h.leftovers()) < 15 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(h.leftovers()); n != 15 {
		t.Fatalf("%d processes running, want 15", n)
	}
	h.sigs <- syscall.SIGTERM
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if left := h.leftovers(); len(left) > 0 {
		t.Fatalf("left running: %v", left)
	}
}

func TestDirAndClean(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: oneshot dir=sub clean=\"tmp/*.pid\"\nshow: sh -c 'pwd; ls ../tmp'\n")
	h.write("sub/.keep", "")
	h.write("tmp/a.pid", "1")
	h.write("tmp/keep.txt", "x")
	if err := h.run(10*time.Second, nil); err != nil {
		t.Fatalf("%v\n%s", err, h.out)
	}
	lines := h.lines("show")
	if len(lines) != 2 || lines[0] != filepath.Join(h.dir, "sub") || lines[1] != "keep.txt" {
		t.Fatalf("lines = %q\n%s", lines, h.out)
	}
}

func TestStartFailureIsReported(t *testing.T) {
	t.Parallel()
	// The plan rejects a dir= that does not exist, so the folder goes
	// away between the plan and the start.
	h := newHarness(t, "# hiverun: dir=vanishing\nweb: sleep 1\n")
	h.write("vanishing/.keep", "")
	err := h.run(10*time.Second, func(*Options) {
		if err := os.RemoveAll(filepath.Join(h.dir, "vanishing")); err != nil {
			t.Error(err)
		}
	})
	if exitCode(err) != 1 || !strings.Contains(h.out.String(), "web (required) failed: could not start") {
		t.Fatalf("err = %v\n%s", err, h.out)
	}
}

func TestCommandNotFoundLikeForeman(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "web: no-such-command-xyz --flag\n")
	err := h.run(10*time.Second, nil)
	if exitCode(err) != 1 {
		t.Fatalf("err = %v\n%s", err, h.out)
	}
	if !strings.Contains(h.out.String(), "not found") {
		t.Errorf("the shell's message is not shown:\n%s", h.out)
	}
}

func TestNoWrapperShell(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "a: sleep 30\nb: cd / && sleep 31\nc: FOO=1 sleep 32\n")
	res := h.start(t.Context(), nil)
	h.waitFor("| ready in", 5*time.Second)
	for _, pid := range h.leftovers() {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(comm)) != "sleep" {
			t.Errorf("pid %d is %q, not the program itself", pid, comm)
		}
	}
	if n := len(h.leftovers()); n != 3 {
		t.Errorf("%d processes, want 3", n)
	}
	h.sigs <- syscall.SIGINT
	<-res
}

func TestTTYAnnotation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: oneshot tty\nterm: sh -c 'if [ -t 1 ]; then echo is-a-tty; else echo not-a-tty; fi; printf last'\n# hiverun: oneshot\npipe: sh -c 'if [ -t 1 ]; then echo is-a-tty; else echo not-a-tty; fi'\n")
	if err := h.run(10*time.Second, nil); err != nil {
		t.Fatalf("%v\n%s", err, h.out)
	}
	if got := h.lines("term"); len(got) != 2 || got[0] != "is-a-tty" || got[1] != "last" {
		t.Errorf("tty lines = %q", got)
	}
	if got := h.lines("pipe"); len(got) != 1 || got[0] != "not-a-tty" {
		t.Errorf("pipe lines = %q", got)
	}
}

func TestPythonUnbuffered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "py: python3 -c 'import time; print(\"hello\"); time.sleep(30)'\n")
	res := h.start(t.Context(), nil)
	h.waitFor("py      | hello", 5*time.Second)
	h.sigs <- syscall.SIGINT
	<-res
}

func TestLiveLine(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	h := newHarness(t, fmt.Sprintf("# hiverun: port=%d\napi: sh -c 'sleep 0.5; exec python3 -m http.server %d --bind 127.0.0.1'\n# hiverun: depends=api\nweb: sleep 30\n", port, port))
	res := h.start(t.Context(), func(o *Options) { o.Live = true })
	h.waitFor("| ready in", 10*time.Second)
	h.sigs <- syscall.SIGINT
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	out := h.out.String()
	// The last answer and the time spent of the budget (60s by default).
	if !strings.Contains(out, "\r\x1b[Kwaiting: web ← api (connection refused, 0.") {
		t.Fatalf("no live line in %q", out)
	}
	if !strings.Contains(out, "s of 60s)") {
		t.Errorf("live line lacks the time spent of the budget: %q", out)
	}
	// Once ready, the live line is gone: the output ends on a cleared line.
	if i := strings.LastIndex(out, "waiting:"); strings.Contains(out[i:], "stopped\n") && !strings.Contains(out[i:], "\r\x1b[K") {
		t.Errorf("live line not cleared: %q", out[i:])
	}
}

// TestNoGoroutineLeak runs many start-stop cycles in one process: the
// goroutine count returns to where it was (goreman's lesson).
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		port := freePort(t) + i
		h := newHarness(t, fmt.Sprintf("# hiverun: port=%d timeout=10s\napi: python3 -m http.server %d --bind 127.0.0.1\n# hiverun: depends=api\nweb: sh -c 'sleep 30 & exec sleep 31'\n# hiverun: oneshot\ntask: echo done\n", port, port))
		res := h.start(t.Context(), nil)
		if i%2 == 0 {
			h.waitFor("| ready in", 10*time.Second)
		}
		h.sigs <- syscall.SIGINT
		if err := <-res; err != nil && exitCode(err) != 1 {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
