//go:build !linux

package proc

// awaitExit returns at once: the caller's Wait does the waiting.
func AwaitExit(pid int) {}
