//go:build linux

package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/bench"
)

// uiStack is n processes: web (HTTP, checked), slow (ready 1.5s after
// it starts, so a restart is seen on its way), and sleepers hanging off
// them; .env holds a secret that must never reach the page.
func uiStack(port, n int) map[string]string {
	var b strings.Builder
	fmt.Fprintf(&b, "# hiverun: oneshot\nmigrate: echo migrated\n")
	fmt.Fprintf(&b, "# hiverun: port=%d health=/ depends=migrate\nweb: sh -c 'echo serving; exec python3 -m http.server %d --bind 127.0.0.1'\n", port, port)
	fmt.Fprintf(&b, "# hiverun: depends=web delay=1500ms\nslow: sh -c 'echo slow up; exec sleep 300'\n")
	for i := 3; i < n; i++ {
		dep := "web"
		if i%2 == 1 {
			dep = "slow"
		}
		fmt.Fprintf(&b, "# hiverun: depends=%s\nw%02d: sh -c 'echo worker %d; exec sleep 300'\n", dep, i, i)
	}
	return map[string]string{"Procfile": b.String(), ".env": "API_SECRET=hunter2-do-not-show\n"}
}

// upStack boots dir's stack detached and stops it when the test ends.
func upStack(t *testing.T, dir, id string, args ...string) result {
	t.Helper()
	r := hiverun(t, dir, []string{"BENCH_ID=" + id}, append([]string{"up", "--detach"}, args...)...)
	t.Cleanup(func() {
		hiverun(t, dir, nil, "stop")
		for _, pid := range bench.Living(id) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if r.code != 0 {
		t.Fatalf("up: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// uiProc is a running `hiverun ui`.
type uiProc struct {
	cmd   *exec.Cmd
	url   string // as printed, with the token
	base  string
	token string
}

func startUI(t *testing.T, dir string) *uiProc {
	t.Helper()
	cmd := exec.Command(bin, "ui")
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			t.Error("hiverun ui did not end on SIGINT")
			cmd.Process.Kill()
			<-exited
		}
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, out)
		cmd.Wait()
		close(exited)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatal("hiverun ui printed no address")
	}
	u := &uiProc{cmd: cmd}
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "http://127.0.0.1:") && strings.Contains(f, "?token=") {
			u.url = f
		}
	}
	if u.url == "" {
		t.Fatalf("no address with a token in %q", line)
	}
	u.base, u.token, _ = strings.Cut(u.url, "/?token=")
	return u
}

// do is a request as the page makes it: with the token and, for a POST,
// its own Origin.
func (u *uiProc) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u.base+path, strings.NewReader(body))
	req.Header.Set("X-Hiverun-Token", u.token)
	if method == "POST" {
		req.Header.Set("Origin", u.base)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// firstEvent opens an event stream and returns its first event.
func (u *uiProc) firstEvent(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u.base+path, nil)
	req.Header.Set("X-Hiverun-Token", u.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	done := make(chan string, 1)
	go func() {
		var b strings.Builder
		r := bufio.NewReader(resp.Body)
		for {
			l, err := r.ReadString('\n')
			b.WriteString(l)
			if err != nil || l == "\n" {
				done <- b.String()
				return
			}
		}
	}()
	select {
	case s := <-done:
		return s
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no event within 5s", path)
		return ""
	}
}

type uiTable struct {
	Alive     bool
	Processes []struct {
		Name  string
		State string
		PID   int
		HTTP  bool
		Deps  []string
	}
}

func (u *uiProc) table(t *testing.T) uiTable {
	t.Helper()
	code, body := u.do(t, "GET", "/api/table", "")
	var tb uiTable
	if code != 200 || json.Unmarshal([]byte(body), &tb) != nil {
		t.Fatalf("table: %d %s", code, body)
	}
	return tb
}

func (tb uiTable) proc(name string) (state string, pid int) {
	for _, p := range tb.Processes {
		if p.Name == name {
			return p.State, p.PID
		}
	}
	return "", 0
}

// svgRows parses an SVG waterfall, returning its rows and which of them
// are on the critical path.
func svgRows(t *testing.T, data []byte) (rows, critical []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed SVG: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "g" {
			var class, name string
			for _, a := range el.Attr {
				switch a.Name.Local {
				case "class":
					class = " " + a.Value + " "
				case "data-name":
					name = a.Value
				}
			}
			if strings.Contains(class, " row ") {
				rows = append(rows, name)
				if strings.Contains(class, " critical ") {
					critical = append(critical, name)
				}
			}
		}
	}
}

// TestUIOnRealStack: the dashboard of a detached stack, served by
// `hiverun ui`, shows every instance, draws the boot, acts on the stack
// (restart, stop one, stop all) and shows nothing of .env; history --svg
// and up --report FILE.svg draw the same boot.
func TestUIOnRealStack(t *testing.T) {
	t.Parallel()
	port := portBase(t, 5)
	dir := project(t, uiStack(port, 6))
	upStack(t, dir, "uireal", "--report", "boot.svg")

	rows, critical := svgRows(t, mustRead(t, filepath.Join(dir, "boot.svg")))
	if len(rows) != 6 || len(critical) == 0 {
		t.Fatalf("up --report boot.svg: rows %v, critical %v", rows, critical)
	}
	if r := hiverun(t, dir, nil, "history", "--svg", "h.svg"); r.code != 0 {
		t.Fatalf("history --svg: %d %s", r.code, r.stderr)
	}
	rows, critical = svgRows(t, mustRead(t, filepath.Join(dir, "h.svg")))
	if len(rows) != 6 || !strings.HasPrefix(strings.Join(critical, ","), "migrate.1,web.1,slow.1") {
		t.Fatalf("history --svg: rows %v, critical %v", rows, critical)
	}
	if r := hiverun(t, dir, nil, "history", "--svg", "h.svg", "--boot", "2"); r.code != 2 || !strings.Contains(r.stderr, "1 boot recorded") {
		t.Fatalf("history --svg --boot 2 of one: %d %q", r.code, r.stderr)
	}

	u := startUI(t, dir)
	tb := u.table(t)
	if !tb.Alive || len(tb.Processes) != 6 {
		t.Fatalf("table: %+v", tb)
	}
	for _, p := range tb.Processes {
		if p.Name == "web.1" && !p.HTTP {
			t.Error("web.1 serves HTTP: its port must be a link")
		}
		if p.Name == "w03.1" && strings.Join(p.Deps, ",") != "slow.1" {
			t.Errorf("w03.1 deps: %v", p.Deps)
		}
	}
	for _, path := range []string{"/", "/api/table", "/waterfall.svg", "/graph.svg", "/static/app.js"} {
		code, body := u.do(t, "GET", path, "")
		if code != 200 || strings.Contains(body, "hunter2") {
			t.Errorf("%s: %d, or it shows .env", path, code)
		}
	}
	code, svg := u.do(t, "GET", "/waterfall.svg", "")
	if rows, _ := svgRows(t, []byte(svg)); code != 200 || len(rows) != 6 {
		t.Errorf("waterfall of the page: %d, rows %v", code, rows)
	}

	// Restart through the page: a new pid, the others keep theirs.
	_, before := tb.proc("w04.1")
	_, web := tb.proc("web.1")
	if code, body := u.do(t, "POST", "/api/restart", "name=w04"); code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("restart: %d %s", code, body)
	}
	tb = u.table(t)
	if st, pid := tb.proc("w04.1"); st != "ready" || pid == before || pid == 0 {
		t.Fatalf("after restart w04.1 is %s, pid %d (was %d)", st, pid, before)
	}
	if _, pid := tb.proc("web.1"); pid != web {
		t.Fatal("restarting w04 moved web")
	}
	if code, body := u.do(t, "POST", "/api/stop", "name=w05"); code != 200 {
		t.Fatalf("stop w05: %d %s", code, body)
	}
	waitUntil(t, "w05.1 stopped", 5*time.Second, func() bool { st, _ := u.table(t).proc("w05.1"); return st == "stopped" })
	if code, _ := u.do(t, "POST", "/api/restart", "name=nope"); code != http.StatusConflict {
		t.Errorf("restart of an unknown process: %d", code)
	}
	// The output of a detached stack, from the log files.
	if got := u.firstEvent(t, "/output?name=web.1"); !strings.Contains(got, "serving") {
		t.Errorf("output of web.1: %q", got)
	}
	if got := u.firstEvent(t, "/output?name=../memory.json"); !strings.Contains(got, "event: note") || strings.Contains(got, "stack_id") {
		t.Errorf("output of a name outside the logs: %q", got)
	}
	if code, body := u.do(t, "POST", "/api/stop-stack", ""); code != 200 || !strings.Contains(body, "stopped the stack") {
		t.Fatalf("stop the stack: %d %s", code, body)
	}
	waitGone(t, "uireal", 5*time.Second)
	if tb := u.table(t); tb.Alive {
		t.Fatal("the page still shows a live supervisor")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func waitUntil(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpuTicks is a process's user plus system time, in clock ticks.
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command may hold spaces: fields count from after its ')'.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// TestUIIdleCPU: with the page open on a 20-process stack (an event
// stream and an output stream read), the dashboard process stays under
// 2% of one core; the supervisor's own use is logged beside it.
func TestUIIdleCPU(t *testing.T) {
	if !perfBounds() {
		t.Skip("a performance bound: HIVERUN_PERF=1")
	}
	port := portBase(t, 6)
	dir := project(t, uiStack(port, 20))
	upStack(t, dir, "uicpu")
	u := startUI(t, dir)
	for _, path := range []string{"/events", "/output?name=web.1"} {
		req, _ := http.NewRequest("GET", u.base+path, nil)
		req.Header.Set("X-Hiverun-Token", u.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		go io.Copy(io.Discard, resp.Body)
	}
	var sup struct{ Supervisor struct{ PID int } }
	json.Unmarshal([]byte(hiverun(t, dir, nil, "status", "--json").stdout), &sup)
	time.Sleep(time.Second) // past the first snapshot
	const hz = 100          // USER_HZ on Linux
	window := 10 * time.Second
	uiBefore, supBefore := cpuTicks(t, u.cmd.Process.Pid), cpuTicks(t, sup.Supervisor.PID)
	time.Sleep(window)
	uiPct := float64(cpuTicks(t, u.cmd.Process.Pid)-uiBefore) / hz / window.Seconds() * 100
	supPct := float64(cpuTicks(t, sup.Supervisor.PID)-supBefore) / hz / window.Seconds() * 100
	t.Logf("idle with the page open, 20 processes: hiverun ui %.2f%% of a core, supervisor %.2f%%", uiPct, supPct)
	if uiPct >= 2 {
		t.Fatalf("hiverun ui used %.2f%% of a core while idle", uiPct)
	}
}

// TestWaterfallOfExample: the demo stack (Procfile.example, with its
// fixed ports, so not in parallel), booted detached with --report
// boot.svg: one row per instance, the critical path marked.
func TestWaterfallOfExample(t *testing.T) {
	root, _ := os.Getwd()
	dir := t.TempDir()
	for _, f := range []string{"Procfile.example", ".env.example"} {
		if err := os.WriteFile(filepath.Join(dir, f), mustRead(t, filepath.Join(root, f)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(dir, "examples"), os.DirFS(filepath.Join(root, "examples"))); err != nil {
		t.Fatal(err)
	}
	r := upStack(t, dir, "uiexample", "-f", "Procfile.example", "-e", ".env.example", "--report", "boot.svg")
	svg := mustRead(t, filepath.Join(dir, "boot.svg"))
	rows, critical := svgRows(t, svg)
	var want []string
	for _, l := range strings.Split(string(mustRead(t, filepath.Join(root, "Procfile.example"))), "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			want = append(want, name+".1")
		}
	}
	if len(rows) != len(want) || len(critical) < 2 || critical[0] != "migrate.1" {
		t.Fatalf("waterfall of Procfile.example: rows %v (want %v), critical %v\n%s", rows, want, critical, r.stdout)
	}
	if out := os.Getenv("HIVERUN_DOCS_OUT"); out != "" {
		// How docs/waterfall-example.svg is made.
		if err := os.WriteFile(filepath.Join(out, "waterfall-example.svg"), svg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := hiverun(t, dir, nil, "-f", "Procfile.example", "stop"); r.code != 0 {
		t.Fatalf("stop: %s", r.stderr)
	}
}

// uiFromOutput finds the dashboard's address in what hiverun printed.
func uiFromOutput(t *testing.T, out string) *uiProc {
	t.Helper()
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "http://127.0.0.1:") && strings.Contains(f, "?token=") {
			u := &uiProc{url: f}
			u.base, u.token, _ = strings.Cut(f, "/?token=")
			return u
		}
	}
	t.Fatalf("no dashboard address in:\n%s", out)
	return nil
}

// TestUIFlag: hiverun --ui serves the page from the supervisor itself,
// and its stop button ends the stack cleanly (exit 0); up --detach --ui
// prints the address of the page the detached supervisor serves, which
// ends with the stack.
func TestUIFlag(t *testing.T) {
	t.Parallel()
	port := portBase(t, 8)
	dir := project(t, uiStack(port, 4))
	s := startAndWait(t, dir, "--ui")
	u := uiFromOutput(t, s.Output())
	if tb := u.table(t); !tb.Alive || len(tb.Processes) != 4 {
		t.Fatalf("table: %+v", tb)
	}
	if code, body := u.do(t, "POST", "/api/restart", "name=w03"); code != 200 {
		t.Fatalf("restart: %d %s", code, body)
	}
	if code, body := u.do(t, "POST", "/api/stop-stack", ""); code != 200 {
		t.Fatalf("stop the stack: %d %s", code, body)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the stack stopped from its page: %v\n%s", err, s.Output())
		}
		if !strings.Contains(s.Output(), "stopping: stopped from the dashboard") {
			t.Errorf("the screen does not say who stopped the stack:\n%s", s.Output())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the stack did not stop:\n%s", s.Output())
	}
	waitGone(t, s.ID, 2*time.Second)

	dir = project(t, uiStack(port+10, 4))
	r := upStack(t, dir, "uiflagdetached", "--ui")
	u = uiFromOutput(t, r.stdout)
	if tb := u.table(t); !tb.Alive || len(tb.Processes) != 4 {
		t.Fatalf("detached table: %+v", tb)
	}
	if r := hiverun(t, dir, nil, "stop"); r.code != 0 {
		t.Fatalf("stop: %s", r.stderr)
	}
	if _, err := http.Get(u.base + "/"); err == nil {
		t.Error("the dashboard of a stopped detached stack still answers")
	}
}
