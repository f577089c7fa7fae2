package proc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
)

// CreateTime is when pid was created, in ms since the epoch: the same
// process always gives the same value.
func CreateTime(pid int) (int64, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("no pid")
	}
	return createTime(pid)
}

// Ours tells whether pid still names the process hiverun recorded: it runs
// (a zombie does not) and was created at createTime. Pids are reused; the
// pair is not.
func Ours(pid int, createTime int64) bool {
	if pid <= 0 || createTime == 0 || !PidAlive(pid) {
		return false
	}
	ct, err := CreateTime(pid)
	return err == nil && ct == createTime
}

// CreatedBefore tells whether pid runs and was created no later than t
// (and not long before it): how a bare pidfile, written right after its
// process started, proves the process it names.
func CreatedBefore(pid int, t time.Time, window time.Duration) bool {
	if pid <= 0 || !PidAlive(pid) {
		return false
	}
	ct, err := CreateTime(pid)
	if err != nil {
		return false
	}
	created := time.UnixMilli(ct)
	// Create times are counted from the boot time, which the kernel gives
	// in whole seconds: they can be off by up to a second.
	return !created.After(t.Add(1100*time.Millisecond)) && t.Sub(created) <= window
}

// Described is what hiverun says about a process it did not start.
type Described struct {
	PID     int
	Command string
	User    string
}

func (d Described) String() string {
	return fmt.Sprintf("pid %d (%s), user %s", d.PID, d.Command, d.User)
}

// Describe names pid's command line and user.
func Describe(pid int) Described {
	d := Described{PID: pid, Command: "?", User: "?"}
	p := &process.Process{Pid: int32(pid)}
	if c, err := p.Cmdline(); err == nil && c != "" {
		if len(c) > 120 {
			c = c[:117] + "..."
		}
		d.Command = c
	} else if n, err := p.Name(); err == nil {
		d.Command = n
	}
	if u, err := p.Username(); err == nil {
		d.User = u
	}
	return d
}

// PortUse is what keeps a TCP port from being listened on.
type PortUse struct {
	// PID is the process listening on it, or 0.
	PID int
	// Otherwise a connection whose local end is the port, which blocks a
	// server from binding it just as a listener does: its TCP state (say
	// "TIME_WAIT"), its ends ("127.0.0.1:40058->127.0.0.1:8000") and its
	// process, 0 when only the kernel still holds it. State is empty when
	// nothing could be seen.
	State, Ends string
	ConnPID     int
}

// PortHolder tells what holds TCP port: a listener first, else a
// connection using it as its local port. The zero PortUse means the
// holder cannot be seen (another user's process, another namespace).
func PortHolder(ctx context.Context, port int) PortUse {
	conns, err := net.ConnectionsWithContext(ctx, "tcp")
	if err != nil {
		return PortUse{}
	}
	var use PortUse
	for _, c := range conns {
		if c.Laddr.Port != uint32(port) {
			continue
		}
		if strings.EqualFold(c.Status, "LISTEN") {
			if c.Pid > 0 {
				return PortUse{PID: int(c.Pid)}
			}
			continue
		}
		// A connection with a process to name is the better answer.
		if use.State == "" || use.ConnPID == 0 && c.Pid > 0 {
			use.State, use.Ends = c.Status, hostPort(c.Laddr)+"->"+hostPort(c.Raddr)
			use.ConnPID = int(c.Pid)
		}
	}
	return use
}

func hostPort(a net.Addr) string {
	if strings.Contains(a.IP, ":") {
		return fmt.Sprintf("[%s]:%d", a.IP, a.Port)
	}
	return fmt.Sprintf("%s:%d", a.IP, a.Port)
}

// Usage is a process's resource use.
type Usage struct {
	CPUPercent float64 // over its lifetime
	RSS        uint64
}

// UsageOf sums the usage of pids.
func UsageOf(pids []int) Usage {
	var u Usage
	for _, pid := range pids {
		p := &process.Process{Pid: int32(pid)}
		if c, err := p.CPUPercent(); err == nil {
			u.CPUPercent += c
		}
		if m, err := p.MemoryInfo(); err == nil {
			u.RSS += m.RSS
		}
	}
	return u
}
