package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/logs"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
	"github.com/hiverun/hiverun/runner/status"
)

// NewFolder is the dashboard of the stack of the project in root (a
// function: the folder may depend on options read later), whose Procfile
// is at procfilePath and resolves to plan.
func NewFolder(root, procfilePath func() string, plan func() (*procfile.Plan, error)) *Folder {
	return &Folder{root: root, procfilePath: procfilePath, plan: plan}
}

// Folder is the dashboard's Backend for the stack in a project's state
// folder, as status, logs, restart and stop see it. It holds nothing
// between calls but small caches, so a stack started, stopped or
// replaced under it is simply what the next call shows.
type Folder struct {
	root         func() string                  // the project folder, without parsing the Procfile
	procfilePath func() string                  // the Procfile's path
	plan         func() (*procfile.Plan, error) // the whole Procfile's plan

	mu       sync.Mutex
	planKey  string              // the Procfile's size and time the deps below are from
	deps     map[string][]string // instance -> instances it depends on
	httpPort map[string]bool     // instance -> its check is HTTP
	probed   map[int]bool        // pid -> answers HTTP on its port
}

func (b *Folder) stateDir() string {
	root, err := filepath.Abs(b.root())
	if err != nil {
		return ""
	}
	return filepath.Join(root, state.FolderName)
}

// Version is memory.json's size and time: the supervisor rewrites it on
// every change of state.
func (b *Folder) Version() string {
	fi, err := os.Stat(filepath.Join(b.stateDir(), "memory.json"))
	if err != nil {
		return "none"
	}
	return fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
}

// planInfo reads the dependencies and checks from the Procfile, again
// only when it changed. A Procfile that does not parse leaves the graph
// without edges; the table does not need it.
func (b *Folder) planInfo() (map[string][]string, map[string]bool) {
	key := ""
	if fi, err := os.Stat(b.procfilePath()); err == nil {
		key = fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if key == b.planKey && b.deps != nil {
		return b.deps, b.httpPort
	}
	b.planKey, b.deps, b.httpPort = key, map[string][]string{}, map[string]bool{}
	plan, err := b.plan()
	if err != nil {
		return b.deps, b.httpPort
	}
	for _, in := range plan.Instances {
		b.httpPort[in.Name] = in.Check.Kind == procfile.CheckHTTP
		var deps []string
		for _, d := range in.Proc.Depends {
			for _, other := range plan.Instances {
				if other.Proc.Name == d {
					deps = append(deps, other.Name)
				}
			}
		}
		b.deps[in.Name] = deps
	}
	return b.deps, b.httpPort
}

// servesHTTP asks the port once per process whether it speaks HTTP, so
// that a port without an HTTP check (python -m http.server) is a link too.
func (b *Folder) servesHTTP(pid, port int) bool {
	b.mu.Lock()
	if b.probed == nil {
		b.probed = map[int]bool{}
	}
	known, ok := b.probed[pid]
	b.mu.Unlock()
	if ok {
		return known
	}
	yes := false
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond); err == nil {
		c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		fmt.Fprintf(c, "HEAD / HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", port)
		head := make([]byte, 5)
		n, _ := io.ReadFull(c, head)
		yes = string(head[:n]) == "HTTP/"
		c.Close()
	}
	b.mu.Lock()
	b.probed[pid] = yes
	b.mu.Unlock()
	return yes
}

func (b *Folder) Snapshot() (Snapshot, error) {
	rep, err := b.status()
	if err != nil {
		return Snapshot{}, err
	}
	deps, httpCheck := b.planInfo()
	snap := Snapshot{Processes: []Process{}}
	switch s := rep.Supervisor; {
	case s == nil && len(rep.Instances) == 0:
		snap.Supervisor = "nothing has run here yet"
	case s == nil:
		snap.Supervisor = "supervisor not running (the stack was stopped)"
	case s.Alive:
		snap.Alive = true
		snap.Supervisor = fmt.Sprintf("supervisor pid %d, up %s — %s", s.PID, status.RoundDur(time.Since(s.StartedAt)), s.Procfile)
	default:
		snap.Supervisor = fmt.Sprintf("supervisor pid %d is gone; its processes are orphaned", s.PID)
	}
	if _, err := os.Stat(filepath.Join(b.stateDir(), "logs")); err != nil {
		snap.NoOutput = "A foreground stack writes its output to its terminal only; hiverun up --detach keeps each process's output in .hiverun/logs, shown here."
	}
	for _, r := range rep.Instances {
		p := Process{Name: r.Name, State: r.State, PID: r.PID, Port: r.Port, Optional: r.Optional, Oneshot: r.Oneshot,
			UptimeMS: r.UptimeMS, Restarts: r.Restarts, CPUPercent: r.CPUPercent, RSSBytes: r.RSSBytes, Deps: deps[r.Name]}
		if p.Deps == nil {
			p.Deps = []string{}
		}
		if h := r.Health; h != nil {
			p.Health = &Health{OK: h.OK, Message: h.Message, At: h.At}
		}
		if r.PID > 0 && r.Port > 0 {
			p.HTTP = httpCheck[r.Name] || b.servesHTTP(r.PID, r.Port)
		}
		snap.Processes = append(snap.Processes, p)
	}
	return snap, nil
}

func (b *Folder) Boot() (Boot, []time.Duration, bool, error) {
	dir, err := b.openState()
	if err != nil || dir == nil {
		return Boot{}, nil, false, err
	}
	mem, err := dir.LoadMemory()
	if err != nil || len(mem.Startups) == 0 {
		return Boot{}, nil, false, err
	}
	n := len(mem.Startups) - 1
	return BootFromStartup(mem.Startups[n], mem.Instances), Trend(mem.Startups, n), true, nil
}

// Output reads a detached stack's log of one instance (logs/NAME.N.log),
// whole lines only; the rest is read next time.
func (b *Folder) Output(name string, cursor int64, max int) ([]Line, int64, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return nil, cursor, fmt.Errorf("no process %q", name)
	}
	path := filepath.Join(b.stateDir(), "logs", name+".log")
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, cursor, fmt.Errorf("no output kept for %s (only a detached stack's output is: hiverun up --detach)", name)
		}
		return nil, cursor, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, cursor, err
	}
	size := fi.Size()
	if size < cursor {
		cursor = 0 // rotated
	}
	if size == cursor {
		return nil, cursor, nil
	}
	// The first look reads only the tail, however long the log is.
	const window = 1 << 20
	from := cursor
	if cursor == 0 && size > window {
		from = size - window
	}
	if from+window < size {
		size = from + window
	}
	buf := make([]byte, size-from)
	if _, err := f.ReadAt(buf, from); err != nil && !errors.Is(err, io.EOF) {
		return nil, cursor, err
	}
	end := strings.LastIndexByte(string(buf), '\n')
	if end < 0 {
		return nil, cursor, nil
	}
	var lines []Line
	sc := bufio.NewReader(strings.NewReader(string(buf[:end+1])))
	for {
		l, err := sc.ReadString('\n')
		if err != nil {
			break
		}
		ll := logs.ParseLine(name, strings.TrimSuffix(l, "\n"))
		lines = append(lines, Line{At: ll.At, Text: ll.Text})
	}
	if from > cursor && len(lines) > 0 {
		lines = lines[1:] // the first was cut by the window
	}
	if cursor == 0 && len(lines) > max {
		lines = lines[len(lines)-max:]
	}
	return lines, from + int64(end) + 1, nil
}

func (b *Folder) ask(op, name string) (string, error) {
	dir, err := b.openState()
	if err != nil {
		return "", err
	}
	if dir == nil {
		return "", state.ErrNoSupervisor
	}
	return dir.Request(op, []string{name}, false)
}

func (b *Folder) Restart(name string) (string, error) { return b.ask("restart", name) }
func (b *Folder) Stop(name string) (string, error)    { return b.ask("stop", name) }

// StopStack stops the supervisor as `hiverun stop` does. When the page
// is served by the supervisor itself (--ui), it only sends the signal:
// waiting for our own exit would never answer.
func (b *Folder) StopStack() (string, error) {
	dir, err := b.openState()
	if err != nil {
		return "", err
	}
	if dir == nil {
		return "", state.ErrNoSupervisor
	}
	mem, err := dir.LoadMemory()
	if err != nil {
		return "", err
	}
	if held, _ := dir.Held(); !held || mem.Supervisor == nil {
		return "", state.ErrNoSupervisor
	}
	// The stack's screen and log say who stopped it, not a bare signal.
	_ = dir.NoteStop(mem.Supervisor.PID, "stopped from the dashboard")
	if mem.Supervisor.PID == os.Getpid() {
		proc.SignalPid(os.Getpid(), "TERM")
		return "stopping the stack", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := state.StopSupervisor(ctx, dir, mem.Supervisor, 2*time.Minute); err != nil {
		return "", err
	}
	return fmt.Sprintf("stopped the stack (supervisor pid %d)", mem.Supervisor.PID), nil
}

func (b *Folder) openState() (*state.Dir, error) {
	root, err := filepath.Abs(b.root())
	if err != nil {
		return nil, err
	}
	return state.Open(root, false)
}

func (b *Folder) status() (*status.Report, error) {
	dir, err := b.openState()
	if err != nil {
		return nil, err
	}
	return status.Build(dir)
}
