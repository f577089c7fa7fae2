//go:build !linux

package proc

import "github.com/shirou/gopsutil/v4/process"

func createTime(pid int) (int64, error) {
	p := &process.Process{Pid: int32(pid)}
	return p.CreateTime()
}
