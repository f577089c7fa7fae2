package procfile

import (
	"strings"
	"testing"
	"time"
)

func TestTypos(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"status", "status", 0},
		{"stauts", "status", 1}, // a swap of neighbours is one
		{"chek", "check", 1},
		{"up", "ui", 1},
		{"", "up", 2},
		{"logz", "stop", 4},
	} {
		if got := Typos(c.a, c.b); got != c.want {
			t.Errorf("Typos(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestJunkKeyQuickAndShort: a line of junk where an annotation key goes
// (found by FuzzParse) is refused at once, and the error names its start
// only: it took a second for 200 kB, and the error repeated all of it.
func TestJunkKeyQuickAndShort(t *testing.T) {
	src := "# hiverun: heal" + strings.Repeat("\xb1", 200000) + "\nweb: x\n"
	t0 := time.Now()
	_, err := Parse("Procfile", strings.NewReader(src))
	if took := time.Since(t0); took > 200*time.Millisecond {
		t.Errorf("took %v", took)
	}
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "Procfile:1: unknown flag") {
		t.Errorf("error (%d bytes): %.200v", len(err.Error()), err)
	}
}
