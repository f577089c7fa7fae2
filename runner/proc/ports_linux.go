package proc

import (
	"fmt"
	"os"
)

// EphemeralPorts is the range the kernel picks the local ports of
// outgoing connections from: a service given a port inside it can find
// the port taken by any connection on the machine.
func EphemeralPorts() (lo, hi int, ok bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, false
	}
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil {
		return 0, 0, false
	}
	return lo, hi, true
}
