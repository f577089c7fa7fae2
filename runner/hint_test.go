//go:build linux

package runner

import (
	"strings"
	"testing"
	"time"
)

// TestSetupStepHint: a required process that finishes well the first time
// stops the stack, which surprises whoever wrote a setup step as a
// process; hiverun says how to mark it. A failure gets no such hint.
func TestSetupStepHint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "migrate: echo migrated\nidle: sleep 30\n")
	_ = h.run(20*time.Second, nil)
	if !strings.Contains(h.out.String(), "if migrate is meant to finish, mark it: # hiverun: oneshot") {
		t.Errorf("no hint:\n%s", h.out.String())
	}
	f := newHarness(t, "broken: sh -c 'exit 3'\nidle: sleep 30\n")
	_ = f.run(20*time.Second, nil)
	if strings.Contains(f.out.String(), "meant to finish") {
		t.Errorf("hint on a failure:\n%s", f.out.String())
	}
}
