//go:build linux

// Spawn: the fixed cost hiverun adds per process, against a shell loop and
// a Go loop forking the same processes.

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// SpawnResult compares starting n trivial processes.
type SpawnResult struct {
	// Until all n run (the last one has exec'd), by the kernel's process
	// events, for hiverun and for the shell loop; 0 where those events
	// cannot be heard (no CAP_NET_ADMIN).
	HiverunAll, BaselineAll time.Duration
	// Until hiverun's ready line is read, and until the shell loop exits.
	Hiverun, Baseline time.Duration
	GoLoop            time.Duration // a plain Go loop of exec.Cmd.Start

	Comms map[string]int // process names under hiverun
}

// Spawn measures starting n `sleep` processes: hiverun until it reports
// them all started, against a plain shell loop that forks them.
func Spawn(bin string, n int) (SpawnResult, error) {
	var res SpawnResult
	dir, err := os.MkdirTemp("", "hiverun-bench-spawn")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	var pf strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&pf, "p%d: sleep 1000\n", i)
	}
	writeFile(dir, "Procfile", pf.String())

	watch, werr := WatchExecs()
	if werr == nil {
		defer watch.Close()
	}
	id := marker()
	sh := exec.Command("sh", "-c", fmt.Sprintf("i=0; while [ $i -lt %d ]; do sleep 1000 & i=$((i+1)); done", n))
	sh.Env = append(os.Environ(), "BENCH_ID="+id)
	t0, mono0 := time.Now(), monoNow()
	err = sh.Run()
	res.Baseline = time.Since(t0)
	if err == nil && watch != nil {
		res.BaselineAll, err = watch.Nth(sh.Process.Pid, n, mono0, 20*time.Second)
	}
	if err == nil {
		err = waitCount(id, "sleep", n, 20*time.Second)
	}
	for _, pid := range Living(id) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if err != nil {
		return res, err
	}

	// The plain Go loop: what os/exec costs here on its own.
	var cmds []*exec.Cmd
	t0 = time.Now()
	for i := 0; i < n; i++ {
		c := exec.Command("sleep", "1000")
		if err := c.Start(); err != nil {
			return res, err
		}
		cmds = append(cmds, c)
	}
	res.GoLoop = time.Since(t0)
	for _, c := range cmds {
		c.Process.Kill()
		c.Wait()
	}

	// hiverun says "ready in" once every instance has been started (its
	// exec done): that line's arrival is the measure, read without
	// polling, so the measurement does not compete for the CPU.
	s, err := StartStack(bin, dir)
	if err != nil {
		return res, err
	}
	at, err := s.WaitLine("| ready in", 20*time.Second)
	res.Hiverun = at.Sub(s.Start)
	if err == nil && watch != nil {
		res.HiverunAll, err = watch.Nth(s.Cmd.Process.Pid, n, s.StartMono, 5*time.Second)
	}
	if err == nil {
		err = waitCount(s.ID, "sleep", n, 5*time.Second)
	}
	res.Comms = Comms(s.ID, "")
	if _, ierr := s.Interrupt(); ierr != nil && err == nil {
		err = ierr
	}
	return res, err
}
