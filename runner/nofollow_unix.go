//go:build unix

package runner

import "syscall"

const oNoFollow = syscall.O_NOFOLLOW
