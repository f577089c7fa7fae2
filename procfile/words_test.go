package procfile

import "testing"

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
