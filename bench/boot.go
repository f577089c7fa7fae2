//go:build linux

// Boot: the measurement that matters most to a user, how long a chain of
// dependent services takes to come up, with its baseline.

package bench

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// listener is a service that starts listening on $PORT 200 ms after it
// starts and writes when it started and when it began to listen.
const listener = `import os, socket, sys, time
t0 = time.time_ns()
time.sleep(float(os.environ.get("LISTEN_DELAY", "0.2")))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen(64)
t1 = time.time_ns()
with open(os.path.join(os.environ["TIMES_DIR"], os.environ.get("PS", "x") + ".times"), "w") as f:
    f.write("%d %d\n" % (t0, t1))
while True:
    c, _ = s.accept()
    c.close()
`

// serviceCmd stamps the moment the service process began (before the
// interpreter loads), then runs the listener.
const serviceCmd = `date +%s%N > "$TIMES_DIR/$PS.start"; exec python3 listen.py`

// BootResult is one boot measurement.
type BootResult struct {
	Hiverun, Baseline time.Duration
	// MaxGap is the longest time between a service beginning to listen
	// and its dependent being started (as the dependent saw its start).
	MaxGap time.Duration
}

// Boot measures a chain of n services, each listening 200 ms after it
// starts and depending on the previous one, against a sequential starter
// that polls every 5 ms, in the same run.
func Boot(bin string, n, basePort int) (BootResult, error) {
	var res BootResult
	dir, err := os.MkdirTemp("", "hiverun-bench-boot")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	if err := writeFile(dir, "listen.py", listener); err != nil {
		return res, err
	}
	var pf strings.Builder
	for i := 0; i < n; i++ {
		dep := ""
		if i > 0 {
			dep = fmt.Sprintf(" depends=s%d", i-1)
		}
		fmt.Fprintf(&pf, "# hiverun: port=%d%s\ns%d: %s\n", basePort+i, dep, i, serviceCmd)
	}
	if err := writeFile(dir, "Procfile", pf.String()); err != nil {
		return res, err
	}
	times := filepath.Join(dir, "times")
	os.Mkdir(times, 0o755)

	// Baseline: start each, poll its port every 5 ms, then the next.
	env := append(os.Environ(), "TIMES_DIR="+times)
	var procs []*exec.Cmd
	t0 := time.Now()
	for i := 0; i < n; i++ {
		c := exec.Command("sh", "-c", serviceCmd)
		c.Dir = dir
		c.Env = append(env, fmt.Sprintf("PORT=%d", basePort+100+i), fmt.Sprintf("PS=b%d", i))
		if err := c.Start(); err != nil {
			return res, err
		}
		procs = append(procs, c)
		addr := fmt.Sprintf("127.0.0.1:%d", basePort+100+i)
		for {
			if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				conn.Close()
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	res.Baseline = time.Since(t0)
	for _, c := range procs {
		c.Process.Kill()
		c.Wait()
	}

	os.Setenv("TIMES_DIR", times)
	defer os.Unsetenv("TIMES_DIR")
	s, err := StartStack(bin, dir)
	if err != nil {
		return res, err
	}
	at, err := s.WaitLine("| ready in", 30*time.Second)
	if err != nil {
		s.Cmd.Process.Kill()
		s.Wait()
		return res, err
	}
	res.Hiverun = at.Sub(s.Start)
	if _, err := s.Interrupt(); err != nil {
		return res, err
	}
	for i := 1; i < n; i++ {
		prev, err1 := readTimes(filepath.Join(times, fmt.Sprintf("s%d.1.times", i-1)))
		cur, err2 := readStart(filepath.Join(times, fmt.Sprintf("s%d.1.start", i)))
		if err1 != nil || err2 != nil {
			return res, fmt.Errorf("times: %v %v", err1, err2)
		}
		if gap := time.Duration(cur - prev[1]); gap > res.MaxGap {
			res.MaxGap = gap
		}
	}
	return res, nil
}

func readStart(p string) (int64, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

func readTimes(p string) ([2]int64, error) {
	var t [2]int64
	b, err := os.ReadFile(p)
	if err != nil {
		return t, err
	}
	_, err = fmt.Sscanf(string(b), "%d %d", &t[0], &t[1])
	return t, err
}
