//go:build linux

package state

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/life"
)

func TestOpenCreatesPrivateFolder(t *testing.T) {
	root := t.TempDir()
	if d, err := Open(root, false); d != nil || err != nil {
		t.Fatalf("Open without create: %v %v", d, err)
	}
	d, err := Open(root, true)
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{FolderName: 0o700, FolderName + "/pids": 0o700, FolderName + "/.gitignore": 0o600} {
		fi, err := os.Lstat(filepath.Join(root, name))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v", name, fi.Mode(), err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(d.Path, ".gitignore")); string(b) != "*\n" {
		t.Errorf(".gitignore = %q", b)
	}
}

func TestOpenRefusesSymlinkAndForeignOwner(t *testing.T) {
	root := t.TempDir()
	os.Symlink(t.TempDir(), filepath.Join(root, FolderName))
	_, err := Open(root, true)
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("symlinked folder: %v", err)
	}
	root = t.TempDir()
	os.Mkdir(filepath.Join(root, FolderName), 0o700)
	os.Symlink(t.TempDir(), filepath.Join(root, FolderName, "pids"))
	if _, err := Open(root, true); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("symlinked pids folder: %v", err)
	}
	if os.Geteuid() == 0 {
		root = t.TempDir()
		os.Mkdir(filepath.Join(root, FolderName), 0o700)
		os.Chown(filepath.Join(root, FolderName), 1234, 1234)
		if _, err := Open(root, true); err == nil || !strings.Contains(err.Error(), "owned by uid 1234") {
			t.Fatalf("foreign folder: %v", err)
		}
	}
}

func TestWriteFileIsAtomicAndCleansTemps(t *testing.T) {
	root := t.TempDir()
	d, _ := Open(root, true)
	if err := d.WriteFile("x.json", []byte("one"), true); err != nil {
		t.Fatal(err)
	}
	// A symlink where the file goes is replaced, not followed.
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	os.Remove(filepath.Join(d.Path, "x.json"))
	os.Symlink(target, filepath.Join(d.Path, "x.json"))
	if err := d.WriteFile("x.json", []byte("two"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("wrote through a symlink: %q", b)
	}
	if b, err := d.ReadFile("x.json"); err != nil || string(b) != "two" {
		t.Fatalf("read %q %v", b, err)
	}
	// A writer killed mid-way leaves a temp file: the next holder of the
	// lock removes it.
	os.WriteFile(filepath.Join(d.Path, ".tmp-memory.json-abc"), []byte("{"), 0o600)
	os.WriteFile(filepath.Join(d.Path, "pids", ".tmp-web.1.pid-abc"), []byte("1"), 0o600)
	next, _ := Open(root, true)
	if ok, err := next.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer next.Unlock()
	if temps, _ := filepath.Glob(filepath.Join(d.Path, "*", ".tmp-*")); len(temps) > 0 {
		t.Fatalf("temps left: %v", temps)
	}
	if temps, _ := filepath.Glob(filepath.Join(d.Path, ".tmp-*")); len(temps) > 0 {
		t.Fatalf("temps left: %v", temps)
	}
}

func TestMemoryRoundTripAndCorruption(t *testing.T) {
	d, _ := Open(t.TempDir(), true)
	m, err := d.LoadMemory()
	if err != nil || m.Version != Version || len(m.Instances) != 0 {
		t.Fatalf("empty memory: %+v %v", m, err)
	}
	code := 3
	now := time.Now().Round(time.Millisecond)
	m.Instances = []*Instance{{Name: "web.1", Process: "web", PID: 42, State: "ready", ExitCode: &code, StartedAt: &now}}
	for i := 0; i < MaxStartups+5; i++ {
		m.Startups = append(m.Startups, &Startup{BootMS: int64(i)})
	}
	if err := d.SaveMemory(m); err != nil {
		t.Fatal(err)
	}
	got, err := d.LoadMemory()
	if err != nil || len(got.Startups) != MaxStartups || got.Startups[0].BootMS != 5 || *got.Lookup("web.1").ExitCode != 3 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, bad := range []string{"{not json", `{"version":1,"instances":[`, `{"version":99}`, ""} {
		os.WriteFile(filepath.Join(d.Path, "memory.json"), []byte(bad), 0o600)
		d.Warnings = nil
		m, err := d.LoadMemory()
		if err != nil || len(m.Instances) != 0 || len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "moved aside") {
			t.Fatalf("%q: %+v %v %v", bad, m, err, d.Warnings)
		}
		if _, err := os.Stat(filepath.Join(d.Path, "memory.json")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%q: corrupt memory.json still in place", bad)
		}
	}
	asides, _ := filepath.Glob(filepath.Join(d.Path, "memory.json.corrupt-*"))
	if len(asides) == 0 {
		t.Fatal("nothing moved aside")
	}
}

func TestPidfiles(t *testing.T) {
	d, _ := Open(t.TempDir(), true)
	d.WritePid("web.1", 123)
	d.WritePid("api.1", 456)
	os.WriteFile(filepath.Join(d.Path, "pids", "junk.1.pid"), []byte("nope"), 0o600)
	os.Symlink("/etc/passwd", filepath.Join(d.Path, "pids", "evil.1.pid"))
	pfs := d.ReadPids()
	if len(pfs) != 2 {
		t.Fatalf("pidfiles: %+v", pfs)
	}
	if _, err := os.Lstat(filepath.Join(d.Path, "pids", "evil.1.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("symlinked pidfile kept")
	}
	if len(d.Warnings) != 2 {
		t.Errorf("warnings: %v", d.Warnings)
	}
	for _, pf := range pfs {
		if time.Since(pf.Written) > time.Minute {
			t.Errorf("%s written at %s", pf.Name, pf.Written)
		}
	}
}

func TestLockIsExclusive(t *testing.T) {
	root := t.TempDir()
	a, _ := Open(root, true)
	b, _ := Open(root, true)
	if ok, err := a.TryLock(); !ok || err != nil {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	if ok, _ := b.TryLock(); ok {
		t.Fatal("second lock taken while the first is held")
	}
	if held, pid := b.Held(); !held || pid != os.Getpid() {
		t.Fatalf("Held = %v %d", held, pid)
	}
	a.Unlock()
	if ok, _ := b.TryLock(); !ok {
		t.Fatal("lock not free after Unlock")
	}
	b.Unlock()
}

func TestExpected(t *testing.T) {
	m := &Memory{Startups: []*Startup{
		{ReadyMS: map[string]int64{"api.1": 100, "db.1": 10}},
		{ReadyMS: map[string]int64{"api.1": 300}},
		{ReadyMS: map[string]int64{"api.1": 200}},
	}}
	e := Expected(m)
	if e["api.1"] != 200*time.Millisecond || e["db.1"] != 10*time.Millisecond {
		t.Fatalf("expected = %v", e)
	}
}

func TestLogFormatAndSymlink(t *testing.T) {
	d, _ := Open(t.TempDir(), true)
	target := filepath.Join(t.TempDir(), "t")
	os.WriteFile(target, nil, 0o644)
	os.Symlink(target, filepath.Join(d.Path, "hiverun.log"))
	l, err := d.OpenLog()
	if err != nil {
		t.Fatal(err)
	}
	l.Write(time.Date(2024, 1, 15, 10, 30, 45, 0, time.Local), "INFO", "backend ready in 0.93s (pid 12345)")
	l.Close()
	b, _ := os.ReadFile(filepath.Join(d.Path, "hiverun.log"))
	if string(b) != "[2024-01-15 10:30:45] [INFO] backend ready in 0.93s (pid 12345)\n" {
		t.Fatalf("log = %q", b)
	}
	if tb, _ := os.ReadFile(target); len(tb) != 0 {
		t.Fatalf("wrote through a symlink")
	}
}

// TestLoopbackControl exercises the transport Windows uses: a loopback
// port and a token in a 0600 file; a request without the token is
// refused.
func TestLoopbackControl(t *testing.T) {
	d, _ := Open(t.TempDir(), true)
	c, err := d.listenControl(true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		for req := range c.Requests() {
			req.Reply <- life.ControlReply{OK: true, Message: req.Op + " " + strings.Join(req.Names, ",")}
		}
	}()
	r, err := d.ask(true, controlRequest{Op: "restart", Names: []string{"web"}})
	if err != nil || !r.OK || r.Message != "restart web" {
		t.Fatalf("ask: %+v %v", r, err)
	}
	fi, _ := os.Stat(filepath.Join(d.Path, addrName))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("control.addr mode %v", fi.Mode())
	}
	data, _ := os.ReadFile(filepath.Join(d.Path, addrName))
	addr, _, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte(`{"op":"stop","names":["web"],"token":"guess"}` + "\n"))
	var reply life.ControlReply
	if err := json.NewDecoder(conn).Decode(&reply); err != nil || reply.OK || !strings.Contains(reply.Error, "wrong token") {
		t.Fatalf("without the token: %+v %v", reply, err)
	}
}
