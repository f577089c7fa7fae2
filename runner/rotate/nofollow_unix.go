//go:build unix

package rotate

import "syscall"

const oNoFollow = syscall.O_NOFOLLOW
