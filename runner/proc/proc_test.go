//go:build linux

package proc

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func startSleep(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	c := exec.Command("sh", "-c", "sleep 30 & exec sleep 31")
	c.Env = append(os.Environ(), env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		c.Wait()
	})
	return c
}

func TestIdentity(t *testing.T) {
	c := startSleep(t)
	pid := c.Process.Pid
	ct, err := CreateTime(pid)
	if err != nil || ct == 0 {
		t.Fatalf("CreateTime: %d %v", ct, err)
	}
	if !Ours(pid, ct) {
		t.Fatal("a live process with its own create time is not ours")
	}
	if Ours(pid, ct+10) || Ours(pid, 0) {
		t.Fatal("a different create time (a reused pid) was taken for ours")
	}
	if !CreatedBefore(pid, time.Now(), 10*time.Second) {
		t.Fatal("a process started just now was not created before now")
	}
	if CreatedBefore(pid, time.Now().Add(-time.Hour), 10*time.Second) {
		t.Fatal("a process created after a pidfile was written was taken for the one it names")
	}
	d := Describe(pid)
	if d.PID != pid || d.User == "?" || d.Command == "?" {
		t.Fatalf("Describe: %+v", d)
	}
}

func TestGroupsAndDescendants(t *testing.T) {
	c := startSleep(t, "PROC_TEST_MARK=yes-"+t.Name())
	pid := c.Process.Pid
	deadline := time.Now().Add(2 * time.Second)
	for len(GroupMembers(pid)) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(GroupMembers(pid)); n != 2 {
		t.Fatalf("group has %d members, want 2", n)
	}
	if d := Descendants(pid); len(d) != 1 {
		t.Fatalf("descendants %v, want the backgrounded sleep", d)
	}
	if found := FindByEnv("PROC_TEST_MARK=yes-" + t.Name()); len(found) != 2 {
		t.Fatalf("FindByEnv found %v", found)
	}
	if found := FindByEnv("PROC_TEST_MARK=yes"); len(found) != 0 {
		t.Fatalf("FindByEnv matched a prefix of a value: %v", found)
	}
	SignalGroup(pid, "KILL")
	c.Wait()
	deadline = time.Now().Add(2 * time.Second)
	for len(GroupMembers(pid)) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if m := GroupMembers(pid); len(m) > 0 {
		t.Fatalf("group still has %v after KILL", m)
	}
	if PidAlive(pid) {
		t.Fatal("a reaped process is alive")
	}
}

// TestLivingGroups: one look at the process table answers for every
// group, and a zombie member does not count as living.
func TestLivingGroups(t *testing.T) {
	a, b := startSleep(t), startSleep(t)
	// A member of a's group that exits and is not reaped: a zombie.
	z := exec.Command("true")
	z.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: a.Process.Pid}
	if err := z.Start(); err != nil {
		t.Fatal(err)
	}
	defer z.Wait()
	// A fresh look each time the table may have changed.
	look := func() *Groups { return &Groups{} }
	deadline := time.Now().Add(2 * time.Second)
	for {
		if s, ok := ReadStat(z.Process.Pid); ok && s.State == 'Z' && len(look().Members(b.Process.Pid)) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the zombie and b's two members did not appear")
		}
		time.Sleep(5 * time.Millisecond)
	}
	g := look()
	for _, c := range []*exec.Cmd{a, b} {
		pgid := c.Process.Pid
		if m := g.Members(pgid); len(m) != 2 || !g.Living(pgid) {
			t.Errorf("group %d: members %v, want its two sleeps and not the zombie", pgid, m)
		}
	}
	SignalGroup(a.Process.Pid, "KILL")
	a.Wait()
	// Only the zombie is left of a's group: it exists, but nothing lives.
	deadline = time.Now().Add(2 * time.Second)
	for look().Living(a.Process.Pid) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !GroupExists(a.Process.Pid) || look().Living(a.Process.Pid) {
		t.Fatalf("a's group: exists %v, living %v; want a zombie only", GroupExists(a.Process.Pid), look().Living(a.Process.Pid))
	}
	if g.Living(0) || g.Members(-1) != nil {
		t.Fatal("no group has pgid 0 or below")
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/tool", []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(dir+"/notexec", []byte("x"), 0o644)
	if p := LookPath("tool", "/nonexistent:"+dir, "/"); p != dir+"/tool" {
		t.Errorf("LookPath(tool) = %q", p)
	}
	if p := LookPath("notexec", dir, "/"); p != "" {
		t.Errorf("found a file that is not executable: %q", p)
	}
	if p := LookPath("./tool", "", dir); p != dir+"/tool" {
		t.Errorf("relative to the process folder: %q", p)
	}
	if p := LookPath("tool", "bin", dir+"/.."); p != "" {
		t.Errorf("relative PATH entry: %q", p)
	}
}

// The create time known from the clock around a start is the one /proc
// gives, to the millisecond, for every start: a record with another would
// make hiverun's own process look like a stranger's, never to be stopped.
func TestCreateTimeWithin(t *testing.T) {
	t.Parallel()
	known := 0
	for i := 0; i < 150; i++ {
		before := BootClock()
		c := exec.Command("sleep", "30")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		after := BootClock()
		got, err1 := CreateTimeWithin(c.Process.Pid, before, after)
		want, err2 := CreateTime(c.Process.Pid)
		c.Process.Kill()
		c.Wait()
		if err1 != nil || err2 != nil || got != want {
			t.Fatalf("start %d: CreateTimeWithin = %d (%v), /proc says %d (%v)", i, got, err1, want, err2)
		}
		if before/1e7 == after/1e7 {
			known++
		}
	}
	if known == 0 {
		t.Fatal("no start fell within one clock tick: the clock was never used")
	}
	// A window across a tick is not guessed: /proc is read.
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	want, _ := CreateTime(c.Process.Pid)
	if got, err := CreateTimeWithin(c.Process.Pid, 1e7-1, 3e7); err != nil || got != want {
		t.Fatalf("across ticks: %d %v, want %d", got, err, want)
	}
}

// An output pipe's read end is kept above the low descriptors, close on
// exec and non-blocking; the child's end blocks, as a program expects of
// its stdout.
func TestOutputPipe(t *testing.T) {
	r, w, err := OutputPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	rfd, wfd := int(r.Fd()), int(w.Fd())
	if rfd < readEndsFrom {
		t.Errorf("read end is descriptor %d, want %d or more", rfd, readEndsFrom)
	}
	for _, c := range []struct {
		fd          int
		nonblocking bool
	}{{rfd, true}, {wfd, false}} {
		fl, _ := unix.FcntlInt(uintptr(c.fd), unix.F_GETFL, 0)
		fdfl, _ := unix.FcntlInt(uintptr(c.fd), unix.F_GETFD, 0)
		if fl&unix.O_NONBLOCK != 0 != c.nonblocking || fdfl&unix.FD_CLOEXEC == 0 {
			t.Errorf("descriptor %d: flags %#x, fd flags %#x", c.fd, fl, fdfl)
		}
	}
	w.Write([]byte("x\n"))
	w.Close()
	if b, err := io.ReadAll(r); err != nil || string(b) != "x\n" {
		t.Fatalf("read %q %v", b, err)
	}
}
