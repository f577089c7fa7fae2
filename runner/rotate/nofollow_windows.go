//go:build windows

package rotate

const oNoFollow = 0
