package runcmd

import "testing"

func TestShellJoin(t *testing.T) {
	got := ShellJoin([]string{"-p", "5433", "it's", "", "a b", "x=1,y@z"})
	want := ` -p 5433 'it'\''s' '' 'a b' x=1,y@z`
	if got != want {
		t.Errorf("%s, want %s", got, want)
	}
}
