//go:build linux

package main_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/bench"
)

// TestRestartAndStopFromAnotherTerminal: `hiverun restart NAME` on a
// foreground stack gives NAME a new pid while the others keep theirs;
// `hiverun stop NAME` stops only NAME and is not a failure.
func TestRestartAndStopFromAnotherTerminal(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "a: sh -c 'echo \"pid $$\"; exec sleep 300'\n# hiverun: depends=a\nb: sh -c 'echo \"pid $$\"; exec sleep 300'\nc: sleep 300\n"})
	s := startAndWait(t, dir)
	pids := func() map[string]int {
		r := hiverun(t, dir, nil, "status", "--json")
		var st struct {
			Instances []struct {
				Name string
				PID  int
			}
		}
		json.Unmarshal([]byte(r.stdout), &st)
		out := map[string]int{}
		for _, in := range st.Instances {
			out[in.Name] = in.PID
		}
		return out
	}
	// memory.json is written before the ready line and before a
	// restart is answered: no waiting needed.
	before := pids()
	r := hiverun(t, dir, nil, "restart", "a")
	if r.code != 0 || r.stdout != "restarted a\n" {
		t.Fatalf("restart: %d %q %q", r.code, r.stdout, r.stderr)
	}
	after := pids()
	if after["a.1"] == before["a.1"] || after["a.1"] == 0 || after["b.1"] != before["b.1"] || after["c.1"] != before["c.1"] {
		t.Fatalf("pids before %v, after %v", before, after)
	}
	r = hiverun(t, dir, nil, "stop", "c")
	if r.code != 0 || r.stdout != "stopped c\n" {
		t.Fatalf("stop c: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := s.WaitLine("c stopped on request", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.Output(), "stopping:") {
		t.Fatalf("output:\n%s", s.Output())
	}
	if r := hiverun(t, dir, nil, "restart", "nope"); r.code != 2 || !strings.Contains(r.stderr, `unknown process "nope"`) {
		t.Fatalf("restart nope: %d %q", r.code, r.stderr)
	}
	if _, err := s.Interrupt(); err != nil {
		t.Fatalf("the stack failed: %v\n%s", err, s.Output())
	}
	if r := hiverun(t, dir, nil, "restart", "a"); r.code != 1 || !strings.Contains(r.stderr, "no supervisor") {
		t.Fatalf("restart without a stack: %d %q", r.code, r.stderr)
	}
}

// TestControlSocketFaults: a malformed request gets an error reply and
// the supervisor carries on; another user cannot connect.
func TestControlSocketFaults(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "a: sleep 300\n"})
	s := startAndWait(t, dir)
	sock := filepath.Join(dir, ".hiverun", "control.sock")
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v", fi.Mode(), err)
	}
	for _, bad := range []string{"{not json", `{"op":"explode","names":["a"]}`, `{"op":"restart"}`, "\x00\x01\x02"} {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(bad + "\n"))
		var reply struct {
			OK    bool
			Error string
		}
		if err := json.NewDecoder(conn).Decode(&reply); err != nil || reply.OK || reply.Error == "" {
			t.Fatalf("%q: %+v %v", bad, reply, err)
		}
		conn.Close()
	}
	if r := hiverun(t, dir, nil, "status"); r.code != 0 {
		t.Fatalf("supervisor hurt by bad requests: %s", r.stdout)
	}
	if _, err := os.Stat("/usr/bin/python3"); os.Geteuid() == 0 && err == nil {
		// As nobody: the 0700 folder and 0600 socket keep it out.
		os.Chmod(filepath.Dir(dir), 0o755)
		os.Chmod(dir, 0o755)
		c := exec.Command("/usr/bin/python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'{\"op\":\"stop\",\"names\":[\"a\"]}\\n'); print(s.recv(200))", sock)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := c.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Permission denied") {
			t.Fatalf("another user connected: %v %s", err, out)
		}
		// Even with the socket opened up, the peer check refuses.
		os.Chmod(filepath.Join(dir, ".hiverun"), 0o755)
		os.Chmod(sock, 0o666)
		c = exec.Command("/usr/bin/python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(s.recv(200).decode())", sock)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err = c.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "refused: uid 65534") {
			t.Fatalf("peer check: %v %s", err, out)
		}
		os.Chmod(filepath.Join(dir, ".hiverun"), 0o700)
	}
	if _, err := s.Interrupt(); err != nil {
		t.Fatalf("%v\n%s", err, s.Output())
	}
	if !strings.Contains(s.Output(), "a started") || strings.Contains(s.Output(), "a stopped on request") {
		t.Fatalf("output:\n%s", s.Output())
	}
}

// TestRunWith: boot what the command needs, run it with NAME_PORT, stop
// the stack, exit with its status; a stack that fails to boot runs
// nothing and exits 1.
func TestRunWith(t *testing.T) {
	t.Parallel()
	port := portBase(t, 3)
	dir := project(t, map[string]string{"Procfile": fmt.Sprintf("# hiverun: oneshot\nmigrate: echo migrated\n# hiverun: port=%d depends=migrate\nbackend: python3 -m http.server %d --bind 127.0.0.1\nother: sleep 300\n", port, port)})
	r := hiverun(t, dir, []string{"BENCH_ID=runwith"}, "--no-color", "run", "--with", "backend", "--",
		"sh", "-c", `test "$BACKEND_PORT" = "`+fmt.Sprint(port)+`" && python3 -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:'+os.environ['BACKEND_PORT']+'/')" && exit 7`)
	if r.code != 7 {
		t.Fatalf("exit %d, want 7\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The stack speaks on stderr: stdout is the command's.
	if strings.Contains(r.stderr, "other") {
		t.Errorf("started a process not asked for:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "stopping: the command has finished") {
		t.Errorf("output:\n%s", r.stderr)
	}
	if left := bench.Living("runwith"); len(left) > 0 {
		t.Fatalf("left running: %v", left)
	}
	broken := project(t, map[string]string{"Procfile": "# hiverun: oneshot\nmigrate: exit 1\n# hiverun: depends=migrate\nbackend: sleep 300\n"})
	r = hiverun(t, broken, nil, "run", "--with", "backend", "--", "sh", "-c", "echo RAN; exit 0")
	if r.code != 1 || strings.Contains(r.stdout, "RAN") {
		t.Fatalf("broken stack: exit %d\n%s", r.code, r.stdout)
	}
}

// TestStopSaysWhatDependsOnIt: `stop redis` in a running stack says which
// processes depend on redis and run on without it: one that then exits
// stops the whole stack, which stop alone did not let a user expect.
func TestStopSaysWhatDependsOnIt(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "redis: sleep 300\n# hiverun: oneshot depends=redis\nmigrate: true\n# hiverun: depends=redis\nworker: sleep 300\n# hiverun: depends=redis\napi: sleep 300\nclock: sleep 300\n"})
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up --detach: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	r := hiverun(t, dir, nil, "stop", "redis")
	if r.code != 0 || !strings.Contains(r.stderr, "hiverun: worker, api depend on redis and run on without it") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := hiverun(t, dir, nil, "stop", "clock"); strings.Contains(r.stderr, "depend") {
		t.Errorf("a process nothing depends on: %s", r.stderr)
	}
}

// TestRestartCommaList: restart web,worker names two processes, as --with
// and -m take names; it was one unknown name "web,worker".
func TestRestartCommaList(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 300\nworker: sleep 300\n"})
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up --detach: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	r := hiverun(t, dir, nil, "restart", "web,worker")
	if r.code != 0 || !strings.Contains(r.stdout, "web") || !strings.Contains(r.stdout, "worker") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
