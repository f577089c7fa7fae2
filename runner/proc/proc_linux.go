//go:build linux

package proc

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ReadStat parses /proc/PID/stat; the command field may hold spaces and
// parentheses, so fields are counted from its last ')'.
func ReadStat(pid int) (Stat, bool) {
	var buf [512]byte
	b, err := readProc("/proc/"+strconv.Itoa(pid)+"/stat", buf[:])
	if err != nil {
		return Stat{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return Stat{}, false
	}
	f := bytes.Fields(b[i+2:])
	// Counted from the state (field 3 of the file): starttime is field 22.
	if len(f) < 20 {
		return Stat{}, false
	}
	ppid, _ := strconv.Atoi(string(f[1]))
	pgid, _ := strconv.Atoi(string(f[2]))
	start, _ := strconv.ParseInt(string(f[19]), 10, 64)
	return Stat{Pid: pid, PPid: ppid, Pgid: pgid, State: f[0][0], StartTicks: start}, true
}

// AllStats lists every process of the machine.
func AllStats() []Stat {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	out := make([]Stat, 0, len(names))
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if s, ok := ReadStat(pid); ok {
			out = append(out, s)
		}
	}
	return out
}

// Living tells whether s is a process that still runs (not a zombie).
func Living(s Stat) bool { return s.State != 'Z' && s.State != 'X' }

func scanGroups() map[int][]int {
	m := map[int][]int{}
	for _, s := range AllStats() {
		if Living(s) {
			m[s.Pgid] = append(m[s.Pgid], s.Pid)
		}
	}
	return m
}

func groupHasLiving(pgid int) bool {
	var g Groups
	return g.Living(pgid)
}

// pidAlive reads the process state rather than trusting kill(pid, 0),
// which succeeds on a zombie.
func PidAlive(pid int) bool {
	s, ok := ReadStat(pid)
	return ok && Living(s)
}

// becomeSubreaper makes orphaned descendants (double-forked daemons) our
// children, so they can be found and stopped with the stack.
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// childrenOf lists the children of pid from /proc/PID/task/*/children,
// which is far cheaper than reading every process of the machine; ok is
// false where the kernel does not offer those files.
func ChildrenOf(pid int) (kids []int, ok bool) {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil, false
	}
	for _, t := range tasks {
		b, err := readProc("/proc/"+strconv.Itoa(pid)+"/task/"+t.Name()+"/children", nil)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, false
			}
			continue
		}
		for _, f := range bytes.Fields(b) {
			if n, err := strconv.Atoi(string(f)); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids, true
}

// adoptedTrees returns the living processes below self that hiverun
// adopted (those not in skip), each with its whole subtree.
func adoptedTrees(self int, skip map[int]bool) []int {
	var out []int
	var walk func(pid int)
	walk = func(pid int) {
		if s, ok := ReadStat(pid); ok && Living(s) {
			out = append(out, pid)
		}
		kids, _ := ChildrenOf(pid)
		for _, c := range kids {
			walk(c)
		}
	}
	kids, ok := ChildrenOf(self)
	if !ok {
		return adoptedTreesByScan(self, skip)
	}
	for _, c := range kids {
		if !skip[c] {
			walk(c)
		}
	}
	return out
}

func adoptedTreesByScan(self int, skip map[int]bool) []int {
	stats := AllStats()
	children := map[int][]int{}
	alive := map[int]bool{}
	for _, s := range stats {
		children[s.PPid] = append(children[s.PPid], s.Pid)
		alive[s.Pid] = Living(s)
	}
	var out []int
	var walk func(pid int)
	walk = func(pid int) {
		if alive[pid] {
			out = append(out, pid)
		}
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for _, c := range children[self] {
		if !skip[c] {
			walk(c)
		}
	}
	return out
}

// zombieChildren lists our children that have exited and wait to be
// reaped, leaving out those skip says (our own, which their Wait reaps):
// their state is not read, so the exits of 100 own children at a stop cost
// no 100 reads of /proc each.
func zombieChildren(self int, skip func(int) bool) []int {
	var out []int
	if kids, ok := ChildrenOf(self); ok {
		for _, pid := range kids {
			if skip(pid) {
				continue
			}
			if s, ok := ReadStat(pid); ok && !Living(s) {
				out = append(out, pid)
			}
		}
		return out
	}
	for _, s := range AllStats() {
		if s.PPid == self && !Living(s) && !skip(s.Pid) {
			out = append(out, s.Pid)
		}
	}
	return out
}

// hasExited tells whether our child pid has exited, without reaping it.
func hasExited(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	// ECHILD: no such child of ours any more; nothing will wait on it.
	return err != nil || info.Signo != 0
}

func reapPid(pid int) {
	var ws unix.WaitStatus
	_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
}

const canAdopt = true

// GroupMembers lists the living processes of process group pgid.
func GroupMembers(pgid int) []int {
	var g Groups
	return g.Members(pgid)
}

// Descendants lists the living processes below pid.
func Descendants(pid int) []int {
	var out []int
	var walk func(p int)
	walk = func(p int) {
		kids, ok := ChildrenOf(p)
		if !ok {
			return
		}
		for _, k := range kids {
			if s, ok := ReadStat(k); ok && Living(s) {
				out = append(out, k)
			}
			walk(k)
		}
	}
	walk(pid)
	return out
}

// FindByEnv lists the living processes whose environment holds entry
// ("KEY=value"), as they were started: how hiverun finds what a killed
// supervisor started but had not yet recorded, and descendants that left
// every group and tree.
func FindByEnv(entry string) []int {
	needle := []byte(entry + "\x00")
	var out []int
	buf := make([]byte, 0, 16<<10)
	for _, s := range AllStats() {
		if !Living(s) {
			continue
		}
		env, err := readProc("/proc/"+strconv.Itoa(s.Pid)+"/environ", buf)
		if err != nil {
			continue
		}
		if bytes.HasPrefix(env, needle) || bytes.Contains(env, append([]byte{0}, needle...)) {
			out = append(out, s.Pid)
		}
	}
	return out
}
