//go:build linux

package main_test

import (
	"bytes"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// onTerminal runs hiverun with args on a pseudo-terminal (so that it
// colours its output) until the output holds every string of until, then
// interrupts it; it returns what the terminal showed.
func onTerminal(t *testing.T, dir string, until []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var screen bytes.Buffer
	chunks := make(chan []byte, 64)
	go func() {
		defer close(chunks)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				chunks <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				return
			}
		}
	}()
	deadline := time.After(15 * time.Second)
	complete := func() bool {
		for _, u := range until {
			if !strings.Contains(screen.String(), u) {
				return false
			}
		}
		return true
	}
	for !complete() {
		select {
		case c, ok := <-chunks:
			if !ok {
				t.Fatalf("hiverun %v ended early:\n%s", args, screen.String())
			}
			screen.Write(c)
		case <-deadline:
			t.Fatalf("hiverun %v: no %q within 15s:\n%s", args, until, screen.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	go io.Copy(io.Discard, f)
	cmd.Wait()
	return screen.String()
}

var escapeBefore = regexp.MustCompile(`(\x1b\[[0-9;]*m)(?:[0-9:]+ )?(zeta|alpha)\s+\|`)

// colours is each process's escape code before its prefix.
func colours(t *testing.T, screen string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range escapeBefore.FindAllStringSubmatch(screen, -1) {
		out[m[2]] = m[1]
	}
	if len(out) != 2 {
		t.Fatalf("colours %q in:\n%q", out, screen)
	}
	return out
}

// TestSameColourInLogs: a process has the same colour in `hiverun logs`
// as on the foreground stack's screen: its place in the Procfile. logs
// gave colours from a shorter palette in the order of the names (alpha
// before zeta), so each process changed colour between the two.
func TestSameColourInLogs(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "zeta: sh -c 'echo zeta up; exec sleep 300'\nalpha: sh -c 'echo alpha up; exec sleep 300'\n"})
	fg := colours(t, onTerminal(t, dir, []string{"zeta up", "alpha up"}))
	if fg["zeta"] == fg["alpha"] {
		t.Fatalf("one colour for both: %q", fg)
	}
	if r := hiverun(t, dir, nil, "up", "--detach"); r.code != 0 {
		t.Fatalf("up --detach: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := hiverun(t, dir, nil, "logs")
		if strings.Contains(r.stdout, "zeta up") && strings.Contains(r.stdout, "alpha up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs never showed both:\n%s", r.stdout)
		}
	}
	logs := colours(t, onTerminal(t, dir, []string{"zeta up", "alpha up"}, "logs", "-f"))
	for name, c := range fg {
		if logs[name] != c {
			t.Errorf("%s: %q on the screen, %q in logs", name, c, logs[name])
		}
	}
}
