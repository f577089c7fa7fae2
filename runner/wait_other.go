//go:build !linux

package runner

// awaitExit returns at once: the caller's Wait does the waiting.
func awaitExit(pid int) {}
