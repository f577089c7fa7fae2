//go:build linux

package bench

import (
	"slices"
	"testing"
)

// Only the root's descendants count, forks are taken whatever order the
// events came in, and the root's own exec does not count.
func TestDescendantExecs(t *testing.T) {
	events := []procEvent{
		{kind: procEventExec, pid: 10, at: 1},             // the root's own exec
		{kind: procEventExec, pid: 12, at: 5},             // a grandchild, its fork below
		{kind: procEventFork, pid: 10, child: 11, at: 2},  // a child
		{kind: procEventFork, pid: 11, child: 12, at: 3},  // its child
		{kind: procEventExec, pid: 11, at: 4},             // the child's exec
		{kind: procEventFork, pid: 99, child: 100, at: 2}, // someone else's
		{kind: procEventExec, pid: 100, at: 3},
	}
	if got := descendantExecs(events, 10); !slices.Equal(got, []int64{4, 5}) {
		t.Fatalf("execs under 10 at %v, want [4 5]", got)
	}
}
