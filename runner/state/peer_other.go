//go:build !linux

package state

import "net"

// checkPeer relies on the socket's 0600 mode and its 0700 folder where
// the peer's credentials cannot be read (and on the loopback transport's
// token, checked with the request).
func (c *Control) checkPeer(conn net.Conn) error { return nil }
