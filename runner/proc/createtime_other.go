//go:build !linux

package proc

import "github.com/shirou/gopsutil/v4/process"

func createTime(pid int) (int64, error) {
	p := &process.Process{Pid: int32(pid)}
	return p.CreateTime()
}

// BootClock is 0: the start time is read from the system.
func BootClock() int64 { return 0 }

// CreateTimeWithin is CreateTime.
func CreateTimeWithin(pid int, before, after int64) (int64, error) { return CreateTime(pid) }
