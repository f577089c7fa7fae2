package proc

import (
	"slices"
	"testing"
)

func TestOverrideLastWins(t *testing.T) {
	for _, c := range []struct{ base, over, want []string }{
		{[]string{"A=1", "B=2"}, nil, []string{"A=1", "B=2"}},
		{[]string{"A=1", "B=2"}, []string{"A=3"}, []string{"B=2", "A=3"}},
		{[]string{"PORT=1", "X="}, []string{"PORT=2", "X=y", "PORT=3"}, []string{"X=y", "PORT=3"}},
		{[]string{"odd", "A=1"}, []string{"odd", "C=1"}, []string{"odd", "A=1", "odd", "C=1"}},
		{[]string{"=C:=C:\\a", "=D:=D:\\"}, []string{"=C:=C:\\b"}, []string{"=D:=D:\\", "=C:=C:\\b"}},
		{nil, []string{"A=1"}, []string{"A=1"}},
	} {
		if got := Override(c.base, c.over); !slices.Equal(got, c.want) {
			t.Errorf("Override(%q, %q) = %q, want %q", c.base, c.over, got, c.want)
		}
	}
}
