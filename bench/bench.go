//go:build linux

// Package bench measures hiverun against plain baselines run in the same
// process, on the same machine, at the same moment: a sequential starter
// polling every 5 ms (boot), a shell loop (spawn), and `producer | cat`
// (output). Figures are medians of several runs; the machine is small and
// noisy, so only ratios against a baseline of the same run mean anything.
package bench

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hiverun/hiverun/runner/proc"
)

// Build compiles hiverun into dir and returns the binary's path.
func Build(moduleRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "hiverun")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// Median of ds.
func Median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func marker() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Stack is a running hiverun whose output is read line by line.
type Stack struct {
	Cmd   *exec.Cmd
	Lines chan string
	Start time.Time
	ID    string
	all   *bytes.Buffer
}

// StartStack runs bin with a Procfile in dir; every process carries
// BENCH_ID in its environment.
func StartStack(bin, dir string, args ...string) (*Stack, error) {
	id := marker()
	cmd := exec.Command(bin, append([]string{"--no-color", "--no-timestamp", "-f", filepath.Join(dir, "Procfile")}, args...)...)
	cmd.Env = append(os.Environ(), "BENCH_ID="+id)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	s := &Stack{Cmd: cmd, Lines: make(chan string, 1<<16), ID: id, all: &bytes.Buffer{}}
	s.Start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		br := bufio.NewReaderSize(out, 1<<20)
		for {
			l, err := br.ReadString('\n')
			if l != "" {
				select {
				case s.Lines <- strings.TrimRight(l, "\n"):
				default:
				}
			}
			if err != nil {
				close(s.Lines)
				return
			}
		}
	}()
	return s, nil
}

// WaitLine waits for a line containing sub and returns when it came.
func (s *Stack) WaitLine(sub string, limit time.Duration) (time.Time, error) {
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		select {
		case l, ok := <-s.Lines:
			if !ok {
				werr := s.Cmd.Wait()
				return time.Time{}, fmt.Errorf("hiverun ended (%v) before %q; output so far:\n%s", werr, sub, s.all.String())
			}
			s.all.WriteString(l + "\n")
			if strings.Contains(l, sub) {
				return time.Now(), nil
			}
		case <-t.C:
			return time.Time{}, fmt.Errorf("no %q within %s; output so far:\n%s", sub, limit, s.all.String())
		}
	}
}

// Output is everything hiverun has printed so far.
func (s *Stack) Output() string {
	for {
		select {
		case l, ok := <-s.Lines:
			if !ok {
				return s.all.String()
			}
			s.all.WriteString(l + "\n")
		default:
			return s.all.String()
		}
	}
}

// Interrupt sends SIGINT and returns how long hiverun took to exit.
func (s *Stack) Interrupt() (time.Duration, error) {
	t0 := time.Now()
	_ = s.Cmd.Process.Signal(syscall.SIGINT)
	err := s.Cmd.Wait()
	d := time.Since(t0)
	if err != nil {
		return d, fmt.Errorf("hiverun: %v", err)
	}
	return d, nil
}

// Living lists processes carrying BENCH_ID=id that are not zombies.
func Living(id string) []int { return proc.FindByEnv("BENCH_ID=" + id) }

// Comms counts processes carrying id by their command name. It reads the
// cheap stat file first and the environment only of processes named
// cmdName (all when ""), so polling it costs the machine little.
func Comms(id, cmdName string) map[string]int {
	out := map[string]int{}
	needle := []byte("BENCH_ID=" + id + "\x00")
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i, j := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if i < 0 || j < i || j+2 >= len(stat) || stat[j+2] == 'Z' {
			continue
		}
		comm := string(stat[i+1 : j])
		if cmdName != "" && comm != cmdName {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(env, needle) {
			out[comm]++
		}
	}
	return out
}

func writeFile(dir, name, content string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755)
}

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
		s.Cmd.Wait()
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

// SpawnResult compares starting n trivial processes.
type SpawnResult struct {
	Hiverun, Baseline time.Duration
	GoLoop            time.Duration // a plain Go loop of exec.Cmd.Start

	Comms map[string]int // process names under hiverun
}

// waitCount polls until n processes carry id and run cmdName.
func waitCount(id, cmdName string, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if Comms(id, cmdName)[cmdName] >= n {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%d %s processes not running within %s: %v", n, cmdName, limit, Comms(id, ""))
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

	id := marker()
	sh := exec.Command("sh", "-c", fmt.Sprintf("i=0; while [ $i -lt %d ]; do sleep 1000 & i=$((i+1)); done", n))
	sh.Env = append(os.Environ(), "BENCH_ID="+id)
	t0 := time.Now()
	err = sh.Run()
	res.Baseline = time.Since(t0)
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
	if err == nil {
		err = waitCount(s.ID, "sleep", n, 5*time.Second)
	}
	res.Comms = Comms(s.ID, "")
	if _, ierr := s.Interrupt(); ierr != nil && err == nil {
		err = ierr
	}
	return res, err
}

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

// producer writes lines of 100 bytes (99 + newline).
const producer = `import sys
n = int(sys.argv[1])
line = ("x" * 90 + "%09d\n")
w = sys.stdout.write
for i in range(n):
    w(line % i)
`

// OutputResult compares moving n lines through hiverun and through cat.
type OutputResult struct {
	Hiverun, Baseline time.Duration
	Lines             int // lines of the producer found in hiverun's output
}

// Output measures n lines of 100 bytes from one process reaching a file,
// through hiverun and through `producer | cat > file`.
func Output(bin string, n int) (OutputResult, error) {
	var res OutputResult
	dir, err := os.MkdirTemp("", "hiverun-bench-output")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	writeFile(dir, "producer.py", producer)
	writeFile(dir, "Procfile", fmt.Sprintf("# hiverun: oneshot\nprod: python3 producer.py %d\n", n))

	t0 := time.Now()
	base := exec.Command("sh", "-c", fmt.Sprintf("python3 producer.py %d | cat > base.out", n))
	base.Dir = dir
	if out, err := base.CombinedOutput(); err != nil {
		return res, fmt.Errorf("baseline: %v %s", err, out)
	}
	res.Baseline = time.Since(t0)

	f, err := os.Create(filepath.Join(dir, "hiverun.out"))
	if err != nil {
		return res, err
	}
	defer f.Close()
	cmd := exec.Command(bin, "--no-color", "--no-timestamp")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	t0 = time.Now()
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("hiverun: %v", err)
	}
	res.Hiverun = time.Since(t0)
	f.Seek(0, io.SeekStart)
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		l, err := br.ReadSlice('\n')
		if bytes.HasPrefix(l, []byte("prod    | ")) && len(l) == len("prod    | ")+100 {
			res.Lines++
		}
		if err != nil {
			break
		}
	}
	return res, nil
}

// Ratio is a/b.
func Ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

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
			s.Cmd.Wait()
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
