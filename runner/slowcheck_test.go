//go:build linux

package runner

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestSlowCheckCanPass: a readiness check that takes longer than 2 s to
// answer (an exec check that warms a cache, a slow health endpoint)
// passes within the process's timeout=, as `hiverun probe` says it
// does. Each try used to be cut off at 2 s, so it never could.
func TestSlowCheckCanPass(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `# hiverun: health="exec:sleep 2.5" timeout=10s
svc: sleep 30
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := h.start(ctx, nil)
	h.waitFor("| ready in", 15*time.Second)
	h.sigs <- syscall.SIGTERM
	if err := <-res; err != nil {
		t.Fatalf("%v\n%s", err, h.out.String())
	}
}
