//go:build windows

package runner

const oNoFollow = 0
