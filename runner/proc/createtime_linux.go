//go:build linux

package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
)

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc.
const clockTicks = 100

var (
	bootOnce sync.Once
	bootSecs int64
	bootErr  error
)

// bootTime is btime from /proc/stat. gopsutil's own lookup first guesses
// the virtualisation (reading /etc/os-release, PCI devices, pid 1's
// environment): milliseconds that every start paid.
func bootTime() (int64, error) {
	bootOnce.Do(func() {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			bootErr = err
			return
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
				bootSecs, bootErr = strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
				return
			}
		}
		bootErr = fmt.Errorf("no btime in /proc/stat")
	})
	return bootSecs, bootErr
}

// createTime reads the start time of pid (field 22 of /proc/PID/stat, in
// clock ticks since boot).
func createTime(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := bytes.Fields(b[i+2:])
	// Fields after the command: state is field 3, starttime field 22.
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ticks, err := strconv.ParseInt(string(f[19]), 10, 64)
	if err != nil {
		return 0, err
	}
	boot, err := bootTime()
	if err != nil {
		return 0, err
	}
	return boot*1000 + ticks*1000/clockTicks, nil
}
