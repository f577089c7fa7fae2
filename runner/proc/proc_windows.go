//go:build windows

package proc

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// group is the handle on a started process tree: on Windows a job object,
// so that terminating it ends the whole tree.
type Group struct {
	pid int
	job windows.Handle
}

func Prepare(cmd *exec.Cmd, tty bool) { cmd.SysProcAttr = SysAttr(tty) }

// SysAttr is Prepare's for os.StartProcess.
func SysAttr(tty bool) *syscall.SysProcAttr {
	// A group of its own lets CTRL_BREAK reach it without reaching hiverun.
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

func Attach(pid int) (*Group, error) {
	g := &Group{pid: pid}
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return g, err
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return g, err
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(g.pid))
	if err != nil {
		windows.CloseHandle(job)
		return g, err
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
		return g, err
	}
	g.job = job
	return g, nil
}

// signal asks the process group to stop with CTRL_BREAK (the only
// console signal that can target one group); KILL ends the job.
func (g *Group) Signal(sig string) error {
	if sig == "KILL" {
		return g.Kill()
	}
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(g.pid))
}

func (g *Group) Kill() error {
	if g.job != 0 {
		return windows.TerminateJobObject(g.job, 1)
	}
	p, err := os.FindProcess(g.pid)
	if err != nil {
		return nil
	}
	return p.Kill()
}

func (g *Group) Alive() bool {
	if g.job != 0 {
		var info jobAccounting
		err := windows.QueryInformationJobObject(g.job, windows.JobObjectBasicAccountingInformation,
			uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil)
		if err == nil {
			return info.ActiveProcesses > 0
		}
	}
	return PidAlive(g.pid)
}

func (g *Group) Living() bool { return g.Alive() }

func (g *Group) Close() {
	if g.job != 0 {
		windows.CloseHandle(g.job)
		g.job = 0
	}
}

func PidAlive(pid int) bool {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	ev, err := windows.WaitForSingleObject(h, 0)
	return err == nil && ev == uint32(windows.WAIT_TIMEOUT)
}

func IsInterrupt(sig os.Signal) bool { return sig == os.Interrupt || sig == syscall.SIGTERM }

// SignalName is the name a user looks up (SIGINT), not Go's description.
func SignalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// StopSignals are the signals main should route to the runner.
var StopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

func ExitDescription(state *os.ProcessState) (code int, desc string) {
	code = state.ExitCode()
	return code, "exited with code " + strconv.Itoa(code)
}

// Reaper has nothing to do on Windows: there are no zombies to collect and
// jobs hold the trees.
type Reaper struct{}

// NewReaper reports that adoption is not available.
func NewReaper() (*Reaper, error) { return nil, errors.New("not supported on windows") }

func (r *Reaper) Spawn(start func() (int, error)) error { _, err := start(); return err }

// Exited is nil: the caller waits for the process itself.
func (r *Reaper) Exited(pid int) <-chan struct{} { return nil }

func (r *Reaper) Waited(pid int) {}
func (r *Reaper) Adopted() []int { return nil }

// Close does nothing.
func (r *Reaper) Close() {}

func SignalPid(pid int, sig string) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

const canAdopt = false

// jobAccounting is JOBOBJECT_BASIC_ACCOUNTING_INFORMATION, which x/sys
// does not declare.
type jobAccounting struct {
	TotalUserTime             int64
	TotalKernelTime           int64
	ThisPeriodTotalUserTime   int64
	ThisPeriodTotalKernelTime int64
	TotalPageFaultCount       uint32
	TotalProcesses            uint32
	ActiveProcesses           uint32
	TotalTerminatedProcesses  uint32
}

// SignalNumber is 0: Windows has no terminating signals.
func SignalNumber(ee *exec.ExitError) int { return 0 }

// GroupMembers has no meaning on Windows, where trees are jobs.
func GroupMembers(pgid int) []int { return nil }

// Descendants is not tracked on Windows.
func Descendants(pid int) []int { return nil }

// SignalGroup has no process groups to reach on Windows.
func SignalGroup(pgid int, sig string) {}

// GroupExists is false: Windows trees are jobs, not groups.
func GroupExists(pgid int) bool { return false }

// GroupLiving is false: Windows trees are jobs, not groups.
func GroupLiving(pgid int) bool { return false }

// FindByEnv cannot read other processes' environments here.
func FindByEnv(entry string) []int { return nil }

// ReadStat has no /proc to read here.
func ReadStat(pid int) (Stat, bool) { return Stat{}, false }

// scanGroups has no groups to scan: Windows trees are jobs.
func scanGroups() map[int][]int { return nil }

// SpawnOwn starts a child: Windows has no reaper to register it with.
func SpawnOwn(start func() (int, error)) (waited func(), err error) {
	_, err = start()
	return func() {}, err
}

// KeepOnBrokenPipe: Windows has no SIGPIPE; a write to a closed pipe
// fails and the output is dropped.
func KeepOnBrokenPipe() {}

// Start starts path in a process group of its own with files as its
// standard descriptors, and returns how to reap it.
func Start(path string, args, env []string, dir string, files []*os.File) (pid int, wait func() (int, string), err error) {
	p, err := os.StartProcess(path, args, &os.ProcAttr{Dir: dir, Env: env, Files: files, Sys: SysAttr(false)})
	if err != nil {
		return 0, nil, err
	}
	return p.Pid, func() (int, string) {
		st, err := p.Wait()
		if err != nil {
			return -1, "lost (could not be waited for: " + err.Error() + ")"
		}
		return ExitDescription(st)
	}, nil
}
