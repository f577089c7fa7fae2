//go:build !linux

package proc

// EphemeralPorts is not read outside Linux.
func EphemeralPorts() (lo, hi int, ok bool) { return 0, 0, false }
