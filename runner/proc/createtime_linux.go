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

// createTime is the boot time plus pid's start time from /proc.
func createTime(pid int) (int64, error) {
	s, ok := ReadStat(pid)
	if !ok {
		return 0, fmt.Errorf("no process %d", pid)
	}
	boot, err := bootTime()
	if err != nil {
		return 0, err
	}
	return boot*1000 + s.StartTicks*1000/clockTicks, nil
}
