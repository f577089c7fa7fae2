//go:build linux

package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/bench"
)

// TestUpDetachUnreadableMemory: `up --detach` with the folder locked by a
// live supervisor and memory.json unreadable (here a folder: a read
// error on every system, root included) answers with an error naming
// memory.json, never a panic, and leaves no supervisor behind.
func TestUpDetachUnreadableMemory(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "web: sleep 300\n"})
	state := filepath.Join(dir, ".hiverun")
	if err := os.MkdirAll(filepath.Join(state, "pids"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(state, "memory.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The test plays the live supervisor that holds the lock.
	lock, err := os.OpenFile(filepath.Join(state, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("unreadable-%d", time.Now().UnixNano())
	r := hiverun(t, dir, []string{"BENCH_ID=" + id}, "up", "--detach", "--wait-timeout", "20s")
	out := r.stdout + r.stderr
	if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
		t.Fatalf("panicked (exit %d):\n%s", r.code, out)
	}
	if r.code == 0 || !strings.Contains(out, "memory.json") {
		t.Fatalf("exit %d, want an error naming memory.json:\n%s", r.code, out)
	}
	waitGone(t, id, 5*time.Second)
}

// TestPidfileDoesNotOutvoteMemory: memory.json records a pid whose create
// time says it is another process now, and pidfiles name the same pid
// (written after that process started, so on their own they would prove
// it). memory's verdict wins: status does not show it, and neither stop
// nor a start signals it.
func TestPidfileDoesNotOutvoteMemory(t *testing.T) {
	t.Parallel()
	victim := exec.Command("sleep", "60")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		victim.Process.Kill()
		victim.Wait()
	}()
	pid := victim.Process.Pid
	alive := func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err == nil && !strings.Contains(string(b), ") Z ")
	}
	dir := project(t, map[string]string{"Procfile": "# hiverun: oneshot\nweb: echo hi\n"})
	state := filepath.Join(dir, ".hiverun")
	seed := func() {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(state, "pids"), 0o700); err != nil {
			t.Fatal(err)
		}
		mem := fmt.Sprintf(`{"version":1,"instances":[{"name":"web.1","process":"web","pid":%d,"pgid":%d,"create_time":1000,"state":"ready"}],"startups":[],"totals":{}}`, pid, pid)
		if err := os.WriteFile(filepath.Join(state, "memory.json"), []byte(mem), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"web.1", "lost.1"} {
			if err := os.WriteFile(filepath.Join(state, "pids", name+".pid"), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}

	seed()
	r := hiverun(t, dir, nil, "status", "--json")
	var st struct {
		Instances []struct {
			Name  string `json:"name"`
			State string `json:"state"`
			PID   int    `json:"pid"`
		} `json:"instances"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	for _, in := range st.Instances {
		if in.PID == pid {
			t.Errorf("status takes pid %d for %s (%s): memory says it is another process", pid, in.Name, in.State)
		}
	}

	r = hiverun(t, dir, nil, "stop")
	if !alive() {
		t.Fatalf("stop signalled a process memory.json disowns:\n%s%s", r.stdout, r.stderr)
	}

	seed()
	r = hiverun(t, dir, nil, "--no-color")
	if r.code != 0 {
		t.Fatalf("start: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !alive() || strings.Contains(r.stdout, "reclaimed") {
		t.Fatalf("start signalled a process memory.json disowns:\n%s%s", r.stdout, r.stderr)
	}
}

// TestStatusPolledWhileBooting: `hiverun status` polled in tight loops
// while a stack boots (goreman's status race) never takes the stack down:
// a reader of the folder must not remove the supervisor's half-written
// files, and a failed state write is not fatal.
func TestStatusPolledWhileBooting(t *testing.T) {
	t.Parallel()
	var pf strings.Builder
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&pf, "p%d: sleep 300\n", i)
	}
	dir := project(t, map[string]string{"Procfile": pf.String()})
	rounds := 40
	for round := 0; round < rounds; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for p := 0; p < 3; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					cmd := exec.Command(bin, "status")
					cmd.Dir = dir
					var sink bytes.Buffer
					cmd.Stdout, cmd.Stderr = &sink, &sink
					_ = cmd.Run()
				}
			}()
		}
		s, err := bench.StartStack(bin, dir)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		cleanupStack(t, s)
		_, err = s.WaitLine("| ready in", 20*time.Second)
		cancel()
		wg.Wait()
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, ".hiverun", "hiverun.log"))
			t.Fatalf("round %d: the supervisor died while status was polled: %v\nhiverun.log:\n%s", round, err, log)
		}
		if _, err := s.Interrupt(); err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, s.Output())
		}
		waitGone(t, s.ID, 5*time.Second)
	}
}
