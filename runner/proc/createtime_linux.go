//go:build linux

package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
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

// BootClock is CLOCK_BOOTTIME in ns: the clock the kernel stamps a new
// process with (start_boottime), which /proc shows in clock ticks.
func BootClock() int64 {
	var ts unix.Timespec
	// Raw: a call of a microsecond need not tell the scheduler (readProc).
	if _, _, e := unix.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_BOOTTIME, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return ts.Nano()
}

// CreateTimeWithin is CreateTime for a process this one started between
// the BootClock readings before and after: the kernel stamped it in
// between, and when both readings fall in the same clock tick, that tick
// is its start time, known without reading /proc (a read that was a
// twentieth of the supervisor's CPU while 100 processes started). Across
// a tick, /proc is read.
func CreateTimeWithin(pid int, before, after int64) (int64, error) {
	const tick = int64(1e9 / clockTicks)
	if before <= 0 || before/tick != after/tick {
		return CreateTime(pid)
	}
	boot, err := bootTime()
	if err != nil {
		return CreateTime(pid)
	}
	return boot*1000 + (before/tick)*1000/clockTicks, nil
}
