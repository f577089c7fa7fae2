package check

import (
	"testing"
	"time"

	"github.com/hiverun/hiverun/procfile"
)

// TestIntervalUsesMemory: checks are relaxed before a service's usual
// time to ready and fast near it, and never more than 20 ms apart, so
// memory never delays detection by more than that.
func TestIntervalUsesMemory(t *testing.T) {
	t.Parallel()
	expected := time.Second
	for e := time.Duration(0); e < 20*time.Second; e += 50 * time.Millisecond {
		for _, kind := range []procfile.CheckKind{procfile.CheckTCP, procfile.CheckHTTP, procfile.CheckExec} {
			for _, exp := range []time.Duration{0, expected} {
				if d := Interval(kind, e, exp); d > 20*time.Millisecond || d <= 0 {
					t.Fatalf("Interval(%v, %s, %s) = %s", kind, e, exp, d)
				}
			}
		}
	}
	if Interval(procfile.CheckTCP, 100*time.Millisecond, expected) != 20*time.Millisecond {
		t.Errorf("not relaxed well before the expected moment")
	}
	if Interval(procfile.CheckTCP, 900*time.Millisecond, expected) != 5*time.Millisecond {
		t.Errorf("not fast near the expected moment")
	}
	if Interval(procfile.CheckTCP, 100*time.Millisecond, 0) != 5*time.Millisecond {
		t.Errorf("not fast without memory")
	}
}
