package life

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{
		{1, "process", "1 process"}, {2, "process", "2 processes"}, {0, "startup", "0 startups"},
		{1, "startup", "1 startup"}, {10, "line", "10 lines"}, {3, "match", "3 matches"},
	} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}
