//go:build linux

// Parallel: independent services start together, so n take about as long
// as one.

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ParallelResult compares independent services with a chain.
type ParallelResult struct {
	Independent, Single time.Duration
}

// Parallel boots n independent services (each listening 200 ms after it
// starts) and one alone: started in parallel, n take about as long as one.
func Parallel(bin string, n, basePort int) (ParallelResult, error) {
	var res ParallelResult
	dir, err := os.MkdirTemp("", "hiverun-bench-parallel")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	writeFile(dir, "listen.py", listener)
	times := filepath.Join(dir, "times")
	os.Mkdir(times, 0o755)
	os.Setenv("TIMES_DIR", times)
	defer os.Unsetenv("TIMES_DIR")
	boot := func(k int) (time.Duration, error) {
		var pf strings.Builder
		for i := 0; i < k; i++ {
			fmt.Fprintf(&pf, "# hiverun: port=%d\ns%d: %s\n", basePort+i, i, serviceCmd)
		}
		writeFile(dir, "Procfile", pf.String())
		s, err := StartStack(bin, dir)
		if err != nil {
			return 0, err
		}
		at, err := s.WaitLine("| ready in", 30*time.Second)
		if err != nil {
			s.Cmd.Process.Kill()
			s.Wait()
			return 0, err
		}
		_, err = s.Interrupt()
		return at.Sub(s.Start), err
	}
	if res.Single, err = boot(1); err != nil {
		return res, err
	}
	res.Independent, err = boot(n)
	return res, err
}
