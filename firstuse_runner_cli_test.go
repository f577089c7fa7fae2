//go:build linux

package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUnderGNUTimeout: `timeout 2 hiverun start` signals hiverun and then
// its whole process group, two SIGTERMs at once. The stack still stops in
// order and a process that needs its grace period gets it.
func TestUnderGNUTimeout(t *testing.T) {
	if _, err := exec.LookPath("timeout"); err != nil {
		t.Skip("no timeout command")
	}
	dir := project(t, map[string]string{
		"Procfile": `slow: sh -c 'trap "sleep 0.5; echo bye > graceful; exit 0" TERM; echo up; while :; do sleep 0.05; done'` + "\n",
	})
	cmd := exec.Command("timeout", "2", bin, "start")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 124 {
		t.Fatalf("timeout: %v, want its exit 124\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "graceful")); err != nil {
		t.Errorf("the process was not given its grace period (%v); output:\n%s", err, out.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	s := out.String()
	// Whether the second SIGTERM is seen at all depends on timing: the Go
	// runtime merges a signal that arrives while the same one is pending.
	if !strings.Contains(s, "stopping: received SIGTERM") {
		t.Errorf("output:\n%s", s)
	}
	if strings.Contains(s, "killing everything") {
		t.Errorf("killed at once:\n%s", s)
	}
}

// TestSecondTERMWithinASecond: a wrapper slower than GNU timeout signals
// the group a little later; that second SIGTERM is still the same request.
func TestSecondTERMWithinASecond(t *testing.T) {
	dir := project(t, map[string]string{
		"Procfile": `slow: sh -c 'trap "sleep 0.5; echo bye > graceful; exit 0" TERM; echo up; while :; do sleep 0.05; done'` + "\n",
	})
	cmd := exec.Command(bin, "start")
	cmd.Dir = dir
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "| up") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(100 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("hiverun did not end:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "graceful")); err != nil {
		t.Errorf("the process was not given its grace period (%v); output:\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "received SIGTERM again within 1s") {
		t.Errorf("output:\n%s", out.String())
	}
}
