//go:build linux

package state

import (
	"os/exec"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/proc"
)

// TestPidfileProvesDefersToMemory: a fresh pidfile proves a live pid only
// when memory.json does not record that pid as another process.
func TestPidfileProvesDefersToMemory(t *testing.T) {
	t.Parallel()
	p := exec.Command("sleep", "30")
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		p.Process.Kill()
		p.Wait()
	}()
	pid := p.Process.Pid
	ct, err := proc.CreateTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	pf := Pidfile{Name: "web.1", PID: pid, Written: time.Now()}
	cases := []struct {
		name string
		mem  *Memory
		want bool
	}{
		{"no memory", nil, true},
		{"memory knows nothing of the pid", &Memory{Instances: []*Instance{{Name: "web.1", PID: pid + 1, CreateTime: ct}}}, true},
		{"memory records it as this process", &Memory{Instances: []*Instance{{Name: "web.1", PID: pid, CreateTime: ct}}}, true},
		{"memory records another process under the pid", &Memory{Instances: []*Instance{{Name: "old.1", PID: pid, CreateTime: 1000}}}, false},
		{"a record without a create time says nothing", &Memory{Instances: []*Instance{{Name: "web.1", PID: pid}}}, true},
	}
	for _, c := range cases {
		if got := c.mem.PidfileProves(pf); got != c.want {
			t.Errorf("%s: PidfileProves = %v, want %v", c.name, got, c.want)
		}
	}
	stale := Pidfile{Name: "web.1", PID: pid, Written: time.Now().Add(-time.Hour)}
	if (*Memory)(nil).PidfileProves(stale) {
		t.Error("a pidfile written long before its process started proves it")
	}
}
