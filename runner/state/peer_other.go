//go:build !linux

package state

import "net"

// checkPeer relies on the socket's 0600 mode and its 0700 folder where
// the peer's credentials cannot be read.
func checkPeer(conn net.Conn) error { return nil }
