//go:build linux

// A Stack drives one real hiverun as a user would: it starts the binary,
// reads its output line by line and sends it Ctrl-C, so every measurement
// times the product and not an in-process shortcut.

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hiverun/hiverun/runner/proc"
)

// Stack is a running hiverun whose output is read line by line.
type Stack struct {
	Cmd   *exec.Cmd
	Lines chan string
	Start time.Time
	// StartMono is Start by CLOCK_MONOTONIC, the clock of process events.
	StartMono int64
	ID        string
	all       *bytes.Buffer
	read      chan struct{} // closed once the output has been read to its end
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
	s := &Stack{Cmd: cmd, Lines: make(chan string, 1<<16), ID: id, all: &bytes.Buffer{}, read: make(chan struct{})}
	s.Start, s.StartMono = time.Now(), monoNow()
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
				close(s.read)
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
				werr := s.Wait()
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
	err := s.Wait()
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

// Wait waits for hiverun to exit once its output has been read to the
// end: exec.Cmd.Wait closes the pipe, and called first it lost the last
// lines (TestTakeoverSaysWho missed "stopping: stopped by" now and then).
func (s *Stack) Wait() error {
	<-s.read
	return s.Cmd.Wait()
}
