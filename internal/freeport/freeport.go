// Package freeport gives tests ports from the kernel, each at most once.
package freeport

import (
	"net"
	"sync"
)

var (
	mu    sync.Mutex
	given = map[int]bool{}
)

// Get is a port the kernel just gave out (a listen on 127.0.0.1:0),
// closed again for a process to take, and never one given before in this
// process: the kernel hands a closed port out again, and two tests running
// in parallel then raced for it (one's process answered the other's
// readiness check).
func Get() (int, error) {
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		mu.Lock()
		seen := given[port]
		given[port] = true
		mu.Unlock()
		if !seen {
			return port, nil
		}
	}
}
