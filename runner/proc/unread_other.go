//go:build !linux

package proc

import "os"

// Unread cannot tell here: -1.
func Unread(f *os.File) int { return -1 }
