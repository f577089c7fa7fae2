//go:build linux

package runner

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalTwiceIsOneRequest: GNU timeout signals its child, then the
// whole process group, so hiverun gets SIGTERM twice at once. That is one
// request: every process still gets its grace period.
func TestSignalTwiceIsOneRequest(t *testing.T) {
	h := newHarness(t, `slow: sh -c 'trap "sleep 0.4; echo bye > graceful; exit 0" TERM; echo up; while :; do sleep 0.05; done'`+"\n")
	res := h.start(t.Context(), nil)
	h.waitFor("| up", 5*time.Second)
	h.sigs <- syscall.SIGTERM
	h.sigs <- syscall.SIGTERM
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "graceful")); err != nil {
		t.Errorf("the process did not get its grace period: %v\n%s", err, h.out)
	}
	out := h.out.String()
	if !strings.Contains(out, "stopping: received SIGTERM") || !strings.Contains(out, "received SIGTERM again within 1s: the same request") {
		t.Errorf("output:\n%s", out)
	}
	if strings.Contains(out, "killing everything") {
		t.Errorf("killed at once:\n%s", out)
	}
}
