//go:build linux

package proc

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestReaperTellsExits: the reaper tells each child started through it
// that has exited, without reaping it (its Wait still gets the status),
// including children that exit at once, and never one that still runs.
func TestReaperTellsExits(t *testing.T) {
	r, err := NewReaper()
	if err != nil {
		t.Skip("no subreaper here:", err)
	}
	defer r.Close()
	start := func(script string) *exec.Cmd {
		t.Helper()
		c := exec.Command("sh", "-c", script)
		if err := r.Spawn(func() (int, error) {
			if err := c.Start(); err != nil {
				return 0, err
			}
			return c.Process.Pid, nil
		}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	long := start("sleep 30")
	defer func() { _ = long.Process.Kill(); _ = long.Wait() }()
	var quick []*exec.Cmd
	for i := 0; i < 40; i++ {
		quick = append(quick, start("exit 3"))
	}
	for _, c := range quick {
		select {
		case <-r.Exited(c.Process.Pid):
		case <-time.After(5 * time.Second):
			t.Fatalf("exit of pid %d not told", c.Process.Pid)
		}
		err := c.Wait()
		r.Waited(c.Process.Pid)
		if c.ProcessState == nil || c.ProcessState.ExitCode() != 3 {
			t.Fatalf("Wait after the exit was told: %v (%v)", c.ProcessState, err)
		}
	}
	select {
	case <-r.Exited(long.Process.Pid):
		t.Fatal("a running child was told exited")
	case <-time.After(100 * time.Millisecond):
	}
	if r.Exited(os.Getpid()) != nil {
		t.Error("Exited of a pid not started through Spawn is not nil")
	}
}
