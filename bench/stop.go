//go:build linux

// Stop: how long Ctrl-C takes, and whether anything is left behind.

package bench

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// StopResult is one Ctrl-C measurement.
type StopResult struct {
	Exit time.Duration // from SIGINT to hiverun's exit
	Left []int         // processes still alive after it exited
}

// Stop starts n processes each with a backgrounded grandchild, sends one
// SIGINT, and measures how long hiverun takes to exit.
func Stop(bin string, n int) (StopResult, error) {
	var res StopResult
	dir, err := os.MkdirTemp("", "hiverun-bench-stop")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	var pf strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&pf, "p%d: sh -c 'sleep 1000 & exec sleep 1001'\n", i)
	}
	writeFile(dir, "Procfile", pf.String())
	s, err := StartStack(bin, dir)
	if err != nil {
		return res, err
	}
	if _, err := s.WaitLine("| ready in", 20*time.Second); err != nil {
		s.Cmd.Process.Kill()
		return res, err
	}
	if err := waitCount(s.ID, "sleep", 2*n, 10*time.Second); err != nil {
		s.Interrupt()
		return res, err
	}
	res.Exit, err = s.Interrupt()
	res.Left = Living(s.ID)
	return res, err
}
