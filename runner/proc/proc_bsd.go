//go:build unix && !linux

package proc

import (
	"errors"
	"syscall"
)

// Without /proc, a group that answers kill(0) is taken as alive; zombies
// there are reaped by launchd promptly.
func groupHasLiving(pgid int) bool { return true }

func PidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func becomeSubreaper() error { return errors.New("not supported on this system") }

func adoptedTrees(self int, skip map[int]bool) []int { return nil }

func zombieChildren(self int, skip func(int) bool) []int { return nil }

func reapPid(pid int) {}

// hasExited: there is no Reaper here (becomeSubreaper fails), so nothing
// asks.
func hasExited(pid int) bool { return false }

const canAdopt = false

// GroupMembers cannot list a group without /proc (GroupLiving still
// tells whether it has members).
func GroupMembers(pgid int) []int { return nil }

// Descendants is not available without /proc.
func Descendants(pid int) []int { return nil }

// FindByEnv cannot read other processes' environments here.
func FindByEnv(entry string) []int { return nil }

// ReadStat has no /proc to read here.
func ReadStat(pid int) (Stat, bool) { return Stat{}, false }

// scanGroups has no process table to scan here.
func scanGroups() map[int][]int { return nil }
