package proc

import (
	"slices"
	"testing"
)

func TestDedupEnvLastWins(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"A=1", "B=2"}, []string{"A=1", "B=2"}},
		{[]string{"A=1", "B=2", "A=3"}, []string{"B=2", "A=3"}},
		{[]string{"PORT=1", "X=", "PORT=2", "X=y"}, []string{"PORT=2", "X=y"}},
		{[]string{"odd", "A=1", "odd"}, []string{"odd", "A=1", "odd"}},
		{[]string{"=C:=C:\\a", "=C:=C:\\b", "=D:=D:\\"}, []string{"=C:=C:\\b", "=D:=D:\\"}},
		{nil, nil},
	} {
		if got := DedupEnv(c.in); !slices.Equal(got, c.want) {
			t.Errorf("DedupEnv(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
