package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hiverun/hiverun/runner/proc"
)

// Pidfile is pids/NAME.N.pid: the pid as plain text, so that other tools
// can `kill $(cat …)`. Its modification time is when hiverun wrote it,
// right after the process started: a process created after that moment
// cannot be the one it names.
type Pidfile struct {
	Name    string // web.1
	PID     int
	Written time.Time
}

func pidRel(name string) string { return filepath.Join("pids", name+".pid") }

// WritePid records a running instance's pid. It writes in place (one
// small write, never through a symlink): a reader that catches it half
// written ignores it, and 100 pidfiles cost no 100 renames.
func (d *Dir) WritePid(name string, pid int) error {
	p := filepath.Join(d.Path, pidRel(name))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|oNoFollow, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	_, err = f.WriteString(strconv.Itoa(pid) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// RemovePid forgets an instance's pidfile.
func (d *Dir) RemovePid(name string) error { return d.Remove(pidRel(name)) }

// ReadPids lists the pidfiles. A pidfile that is a symlink, or does not
// hold a pid, is removed with a warning.
func (d *Dir) ReadPids() []Pidfile {
	ents, err := os.ReadDir(filepath.Join(d.Path, "pids"))
	if err != nil {
		return nil
	}
	var out []Pidfile
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".pid") || strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		name := strings.TrimSuffix(e.Name(), ".pid")
		rel := pidRel(name)
		data, err := d.ReadFile(rel)
		if errors.Is(err, ErrSymlink) {
			_ = d.Remove(rel)
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s was a symlink: removed it (not its target)", filepath.Join(d.Path, rel)))
			continue
		}
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 0 {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s holds no pid: ignored", filepath.Join(d.Path, rel)))
			continue
		}
		fi, err := os.Lstat(filepath.Join(d.Path, rel))
		if err != nil {
			continue
		}
		out = append(out, Pidfile{Name: name, PID: pid, Written: fi.ModTime()})
	}
	return out
}

// pidfileWindow is how long after a process starts its pidfile may be
// written: the supervisor writes pidfiles with its next flush.
const pidfileWindow = 10 * time.Second

// PidfileProves tells whether pf proves that its pid is a process hiverun
// started. memory.json's record of the same pid speaks first: it holds the
// create time read when the process started, the stronger witness. When
// it says the pid names another process now, the pidfile proves nothing,
// however fresh it is. Only a pid memory.json knows nothing of is judged by
// the pidfile's age: created at most pidfileWindow before it was written.
func (m *Memory) PidfileProves(pf Pidfile) bool {
	disowned := false
	if m != nil {
		for _, in := range m.Instances {
			if in.PID != pf.PID || in.CreateTime == 0 {
				continue
			}
			if in.Ours() {
				return true
			}
			disowned = true
		}
	}
	return !disowned && proc.CreatedBefore(pf.PID, pf.Written, pidfileWindow)
}
