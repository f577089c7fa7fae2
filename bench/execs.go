//go:build linux

// Execs: when processes are running, by the kernel's own account. A shell
// loop's exit comes before its last children have exec'd, and hiverun's
// ready line after its last ones have: "all running" is told for both by
// the kernel's process events (the proc connector), the same instant by
// the same clock.

package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The proc connector's numbers (linux/connector.h, linux/cn_proc.h).
const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCnMcastListen = 1
	procEventFork     = 0x1
	procEventExec     = 0x2
	nlmsgHdrLen       = 16
	cnMsgLen          = 20
)

// procEvent is a fork (Child set) or an exec of Pid, at At (CLOCK_MONOTONIC
// ns).
type procEvent struct {
	kind       uint32
	pid, child int
	at         int64
}

// ExecWatch records the machine's fork and exec events from its start.
type ExecWatch struct {
	fd     int
	mu     sync.Mutex
	events []procEvent
	stop   chan struct{}
	done   chan struct{}
}

// WatchExecs subscribes to process events. It needs CAP_NET_ADMIN (root
// here); the caller falls back to its own clock without it.
func WatchExecs() (*ExecWatch, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("proc connector: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 50000})
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("proc connector: %w", err)
	}
	msg := make([]byte, nlmsgHdrLen+cnMsgLen+4)
	binary.LittleEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.LittleEndian.PutUint16(msg[4:], unix.NLMSG_DONE)
	binary.LittleEndian.PutUint32(msg[12:], uint32(os.Getpid()))
	binary.LittleEndian.PutUint32(msg[16:], cnIdxProc)
	binary.LittleEndian.PutUint32(msg[20:], cnValProc)
	binary.LittleEndian.PutUint16(msg[32:], 4)
	binary.LittleEndian.PutUint32(msg[36:], procCnMcastListen)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("proc connector: %w", err)
	}
	w := &ExecWatch{fd: fd, stop: make(chan struct{}), done: make(chan struct{})}
	go w.read()
	return w, nil
}

func (w *ExecWatch) read() {
	defer close(w.done)
	buf := make([]byte, 1<<16)
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		n, _, err := unix.Recvfrom(w.fd, buf, 0)
		if err != nil {
			continue // the receive timeout, to look at stop
		}
		w.mu.Lock()
		for b := buf[:n]; len(b) >= nlmsgHdrLen+cnMsgLen+16; {
			l := int(binary.LittleEndian.Uint32(b))
			if l < nlmsgHdrLen+cnMsgLen+16 || l > len(b) {
				break
			}
			ev := b[nlmsgHdrLen+cnMsgLen : l]
			kind := binary.LittleEndian.Uint32(ev)
			at := int64(binary.LittleEndian.Uint64(ev[8:]))
			switch {
			case kind == procEventFork && len(ev) >= 32:
				// parent pid, parent tgid, child pid, child tgid: a
				// thread has child pid != child tgid.
				if cpid, ctgid := binary.LittleEndian.Uint32(ev[24:]), binary.LittleEndian.Uint32(ev[28:]); cpid == ctgid {
					w.events = append(w.events, procEvent{kind: kind, pid: int(binary.LittleEndian.Uint32(ev[20:])), child: int(ctgid), at: at})
				}
			case kind == procEventExec && len(ev) >= 24:
				w.events = append(w.events, procEvent{kind: kind, pid: int(binary.LittleEndian.Uint32(ev[20:])), at: at})
			}
			b = b[(l+3)&^3:]
		}
		w.mu.Unlock()
	}
}

// Close stops listening.
func (w *ExecWatch) Close() {
	close(w.stop)
	<-w.done
	unix.Close(w.fd)
}

// Nth waits until n processes descended from root (root excluded) have
// exec'd, and returns when the n-th did, after t0 (monoNow).
func (w *ExecWatch) Nth(root, n int, t0 int64, limit time.Duration) (time.Duration, error) {
	for deadline := time.Now().Add(limit); ; time.Sleep(5 * time.Millisecond) {
		w.mu.Lock()
		execs := descendantExecs(w.events, root)
		w.mu.Unlock()
		if len(execs) >= n {
			return time.Duration(execs[n-1] - t0), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d of %d execs under pid %d seen in %s (events lost?)", len(execs), n, root, limit)
		}
	}
}

// descendantExecs are the times of the execs of root's descendants, in
// order. Forks are taken first, whatever order the events came in from
// the CPUs.
func descendantExecs(events []procEvent, root int) []int64 {
	ours := map[int]bool{root: true}
	for grew := true; grew; {
		grew = false
		for _, e := range events {
			if e.kind == procEventFork && ours[e.pid] && !ours[e.child] {
				ours[e.child], grew = true, true
			}
		}
	}
	var at []int64
	for _, e := range events {
		if e.kind == procEventExec && e.pid != root && ours[e.pid] {
			at = append(at, e.at)
		}
	}
	sort.Slice(at, func(i, j int) bool { return at[i] < at[j] })
	return at
}

// monoNow is CLOCK_MONOTONIC, the clock of process events.
func monoNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(errors.New("no CLOCK_MONOTONIC"))
	}
	return ts.Nano()
}
