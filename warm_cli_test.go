//go:build linux

package main_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// freePort is a port the kernel just gave out and took back: free now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestTakeoverSaysWho: a second foreground hiverun takes over, and the
// first one's screen says who did; a `hiverun stop` from another terminal
// is named the same way, not as a bare signal.
func TestTakeoverSaysWho(t *testing.T) {
	dir := project(t, map[string]string{"Procfile": "app: sleep 300\n"})
	first := startAndWait(t, dir)
	second := startAndWait(t, dir)
	if err := first.Cmd.Wait(); err != nil {
		t.Fatalf("the first hiverun after a takeover: %v\n%s", err, first.Output())
	}
	want := fmt.Sprintf("stopping: taken over by hiverun (pid %d) from another terminal", second.Cmd.Process.Pid)
	if out := first.Output(); !strings.Contains(out, want) {
		t.Fatalf("the first hiverun's screen does not say %q:\n%s", want, out)
	}
	if r := hiverun(t, dir, nil, "stop"); r.code != 0 {
		t.Fatalf("stop: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	done := make(chan error, 1)
	go func() { done <- second.Cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the stack did not stop")
	}
	out := second.Output()
	if !regexp.MustCompile(`stopping: stopped by hiverun stop \(pid \d+\)`).MatchString(out) || strings.Contains(out, "received") {
		t.Fatalf("after hiverun stop, the screen does not say who stopped it:\n%s", out)
	}
}
