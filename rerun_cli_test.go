//go:build linux

package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// webPID is the pid status reports for web, the process the edits touch.
func webPID(t *testing.T, dir string) int {
	t.Helper()
	for _, in := range status(t, dir).Instances {
		if in.Name == "web.1" {
			return in.PID
		}
	}
	t.Fatalf("status has no web.1")
	return 0
}

// TestUpDetachRerunEachKey: up --detach run again after editing each
// annotation key in turn: the message names the change, a change that
// applies live leaves the pid unchanged, one that needs a restart gives a
// new pid, and a further rerun finds the stack unchanged.
func TestUpDetachRerunEachKey(t *testing.T) {
	// Until the supervisor's reload uses procfile.Diff, applies live keys
	// to the running process and replies with procfile.StackChange, its
	// message names no key: "restarted web".
	t.Parallel()
	port := portBase(t, 8)
	const secret = "s3cret-value"
	dir := project(t, map[string]string{".env": "TOKEN=" + secret + "-1\n"})
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(annotation, command string) {
		pf := fmt.Sprintf("db: sleep 300\n# hiverun: %s\nweb: %s\n", annotation, command)
		if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(pf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The check is a command, so that port= is owned without a listener.
	words := []string{fmt.Sprintf("port=%d", port), `health="exec:true"`}
	command := "sleep 301"
	write(strings.Join(words, " "), command)
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up: %s%s", r.stdout, r.stderr)
	}
	steps := []struct {
		key  string
		edit func()
		want string // in the message
		live bool
	}{
		{"command", func() { command = "sleep 302" }, "restarted web (command changed)", false},
		{"env", func() {
			os.WriteFile(filepath.Join(dir, ".env"), []byte("TOKEN="+secret+"-2\n"), 0o600)
		}, "web (env changed)", false},
		{"dir", func() { words = append(words, "dir=sub") }, "restarted web (dir changed)", false},
		{"port", func() { words[0] = fmt.Sprintf("port=%d", port+1) }, "restarted web (port changed)", false},
		{"health", func() { words[1] = `health="exec:test 1 = 1"` }, "restarted web (health changed)", false},
		{"tty", func() { words = append(words, "tty") }, "restarted web (tty changed)", false},
		{"restart", func() { words = append(words, "restart=always") }, "applied restart=always to web", true},
		{"grace", func() { words = append(words, "grace=10s") }, "applied grace=10s to web", true},
		{"signal", func() { words = append(words, "signal=INT") }, "applied signal=INT to web", true},
		{"timeout", func() { words = append(words, "timeout=30s") }, "restarted web (timeout changed)", false},
		{"delay", func() { words = append(words, "delay=100ms") }, "restarted web (delay changed)", false},
		{"optional", func() { words = append(words, "optional") }, "restarted web (optional changed)", false},
		{"depends", func() { words = append(words, "depends=db") }, "restarted web (depends changed)", false},
		{"clean", func() { words = append(words, `clean="tmp/*.pid"`) }, "restarted web (clean changed)", false},
	}
	for _, s := range steps {
		before := webPID(t, dir)
		s.edit()
		write(strings.Join(words, " "), command)
		r := hiverun(t, dir, nil, "up", "--detach")
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("%s: an .env value printed: %s%s", s.key, r.stdout, r.stderr)
		}
		if r.code != 0 || !strings.Contains(r.stdout, s.want) {
			t.Fatalf("%s edited: exit %d, want %q in:\n%s%s", s.key, r.code, s.want, r.stdout, r.stderr)
		}
		after := webPID(t, dir)
		if after == 0 || (after == before) != s.live {
			t.Fatalf("%s edited (live %v): web pid %d -> %d", s.key, s.live, before, after)
		}
		if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
			t.Fatalf("rerun after the %s edit: %s%s", s.key, r.stdout, r.stderr)
		}
	}
}

// TestUpDetachRerunOldMemory: a memory.json written before settings were
// kept (fingerprints only) still reruns: unchanged is unchanged, an
// edited command restarts that process.
func TestUpDetachRerunOldMemory(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "a: sleep 300\nb: sh -c 'sleep 300 & exec sleep 301'\n"})
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up: %s%s", r.stdout, r.stderr)
	}
	// An idle stack with no checks writes memory.json no more: what we
	// write stays until the next rerun asks the supervisor for something.
	path := filepath.Join(dir, ".hiverun", "memory.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mem map[string]any
	if err := json.Unmarshal(b, &mem); err != nil {
		t.Fatal(err)
	}
	for _, in := range mem["instances"].([]any) {
		rec := in.(map[string]any)
		if rec["settings"] == nil || rec["fingerprint"] == "" {
			t.Fatalf("a new record without settings or fingerprint: %v", rec)
		}
		delete(rec, "settings")
	}
	if b, err = json.MarshalIndent(mem, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := status(t, dir)
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Fatalf("rerun over old records: %s%s", r.stdout, r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "Procfile"), []byte("a: sleep 301\nb: sh -c 'sleep 300 & exec sleep 301'\n"), 0o644)
	r := hiverun(t, dir, nil, "up", "--detach")
	if r.code != 0 || !strings.Contains(r.stdout, "restarted a") {
		t.Fatalf("rerun over old records after an edit: %s%s", r.stdout, r.stderr)
	}
	after := status(t, dir)
	if after.Instances[0].PID == before.Instances[0].PID || after.Instances[1].PID != before.Instances[1].PID || !after.OK {
		t.Fatalf("after an edit: %+v -> %+v", before.Instances, after.Instances)
	}
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Fatalf("rerun after the reload: %s%s", r.stdout, r.stderr)
	}
}

// TestUpDetachRerunFromAnotherTerminal: running up --detach again from
// another terminal (another TERM, a tmux pane, an ssh session) finds the
// stack unchanged; the terminal's own variables used to restart every
// process ("env changed"). A variable the user sets is still a change.
func TestUpDetachRerunFromAnotherTerminal(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 300\n"})
	first := []string{"TERM=xterm", "TMUX=", "SHLVL=1", "PWD=" + dir}
	if r := hiverun(t, dir, first, "up", "--detach"); r.code != 0 {
		t.Fatalf("up --detach: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	other := []string{"TERM=tmux-256color", "TMUX=/tmp/tmux-0/default,1,0", "TMUX_PANE=%3", "SHLVL=3", "COLORTERM=truecolor",
		"SSH_CONNECTION=10.0.0.1 50000 10.0.0.2 22", "SSH_TTY=/dev/pts/3", "OLDPWD=/tmp"}
	r := hiverun(t, dir, other, "up", "--detach")
	if r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Fatalf("from another terminal: exit %d, want the stack unchanged\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, append(other, "FEATURE_FLAG=on"), "up", "--detach")
	if r.code != 0 || !strings.Contains(r.stdout, "restarted web (env changed)") {
		t.Fatalf("with a variable of the user's: exit %d, want web restarted\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestUpDetachRerunWithSkipped: up --detach run again at once over a stack
// where an optional process failed and its dependent was skipped says
// unchanged: the skipped record, whose process never started, has its
// identity in the memory written at boot (found using it: it restarted the
// failed process and exited 1).
func TestUpDetachRerunWithSkipped(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": `a: sleep 300
# hiverun: optional health=tcp://127.0.0.1:1
bad: sh -c 'exit 4'
# hiverun: depends=bad optional
dep: sleep 301
`})
	upDetached(t, dir)
	rerunSays(t, dir, "unchanged")
}

// TestUpDetachRerunWithFailedOptional: after an edit, up --detach names
// the change and exits 0 when an optional process that was already failing
// fails again: it said only that process's failure and exited 1, as if the
// edit had broken the stack (found using it).
func TestUpDetachRerunWithFailedOptional(t *testing.T) {
	t.Parallel()
	procfile := func(n int) string {
		return fmt.Sprintf("a: sleep %d\n# hiverun: optional health=tcp://127.0.0.1:1\nbad: sh -c 'exit 4'\n", n)
	}
	dir := project(t, map[string]string{"Procfile": procfile(300)})
	upDetached(t, dir)
	os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile(301)), 0o644)
	rerunSays(t, dir, "restarted a (command changed)", "bad (optional) not running")
}

// TestUpDetachRerunAfterEditingASkipped: an edit of a process that is
// skipped again (what it depends on keeps failing) is taken in once: the
// next rerun says unchanged. Its record kept the old settings, and every
// rerun restarted the failing process again (found using it).
func TestUpDetachRerunAfterEditingASkipped(t *testing.T) {
	t.Parallel()
	procfile := func(n int) string {
		return fmt.Sprintf("# hiverun: optional health=tcp://127.0.0.1:1\nbad: sh -c 'exit 4'\n# hiverun: depends=bad optional\ndep: sleep %d\nweb: sleep 301\n", n)
	}
	dir := project(t, map[string]string{"Procfile": procfile(300)})
	upDetached(t, dir)
	os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile(299)), 0o644)
	rerunSays(t, dir, "dep (command changed)")
	rerunSays(t, dir, "unchanged")
}

// TestStatusPortAfterReload: status shows the port a reload moved a
// process to; it showed the old one (found using it).
func TestStatusPortAfterReload(t *testing.T) {
	t.Parallel()
	web := func(port int) string {
		return fmt.Sprintf("# hiverun: port=%d\nweb: python3 -m http.server $PORT --bind 127.0.0.1\n", port)
	}
	dir := project(t, map[string]string{"Procfile": web(freePort(t))})
	upDetached(t, dir)
	port := freePort(t)
	os.WriteFile(filepath.Join(dir, "Procfile"), []byte(web(port)), 0o644)
	rerunSays(t, dir, "port changed")
	r := hiverun(t, dir, nil, "status", "--json")
	var st struct{ Instances []struct{ Port int } }
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Instances) != 1 || st.Instances[0].Port != port {
		t.Fatalf("status after the reload (%v):\n%s\nwant port %d", err, r.stdout, port)
	}
}

// TestUpDetachRerunStopsTheStack: an edit after which a required process
// exits stops the stack, and up --detach says so, with the changes: it
// said only "the stack is stopping; the rest of the stack runs on" (found
// using it).
func TestUpDetachRerunStopsTheStack(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	procfile := func(web, api string) string {
		return fmt.Sprintf("web: %s\n# hiverun: port=%d\napi: %s\n", web, port, api)
	}
	dir := project(t, map[string]string{"Procfile": procfile("sleep 301", "python3 -m http.server $PORT --bind 127.0.0.1")})
	upDetached(t, dir)
	// api takes a second to be ready again; web ends meanwhile.
	os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile("sh -c 'sleep 0.3; exit 3'", "sh -c 'sleep 1; exec python3 -m http.server $PORT --bind 127.0.0.1'")), 0o644)
	r := hiverun(t, dir, nil, "up", "--detach")
	out := r.stdout + r.stderr
	if r.code != 1 || !strings.Contains(out, "web (command changed)") || !strings.Contains(out, "the stack is stopping: web exited with code 3") || strings.Contains(out, "runs on") {
		t.Fatalf("rerun: exit %d\n%s", r.code, out)
	}
}

// upDetached brings the project in dir up with up --detach, and stops it
// when the test ends.
func upDetached(t *testing.T, dir string) {
	t.Helper()
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// rerunSays runs up --detach again: it must exit 0 and say each of want.
func rerunSays(t *testing.T, dir string, want ...string) {
	t.Helper()
	r := hiverun(t, dir, nil, "up", "--detach")
	for _, w := range want {
		if r.code != 0 || !strings.Contains(r.stdout, w) {
			t.Fatalf("rerun, want %q: exit %d\n%s%s", w, r.code, r.stdout, r.stderr)
		}
	}
}
