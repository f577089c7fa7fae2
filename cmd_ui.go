package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/detach"
	"github.com/hiverun/hiverun/runner/logs"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
	"github.com/hiverun/hiverun/runner/status"
	"github.com/hiverun/hiverun/runner/ui"
)

func newUICmd(g *globals, runners ...*cobra.Command) *cobra.Command {
	var port int
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Serve a live dashboard of the stack on 127.0.0.1 (process table, boot waterfall, output, restart/stop)",
		Long: `Serve one page on 127.0.0.1 showing the stack of this folder as status does,
updated live: each process's state, pid, port, health, uptime, restarts, CPU
and memory; the waterfall of the current boot; the dependency graph; each
process's output (of a detached stack); and restart and stop buttons.

The address printed carries a random token: only who can read it can open
the page. Nothing from .env is shown. Ctrl-C stops the dashboard, not the
stack. --ui on hiverun (start) and up --detach serves the same page from
the supervisor.`,
		Example: `  hiverun up --detach && hiverun ui
  hiverun ui --ui-port 8765
  hiverun --ui                # run the stack and its dashboard`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), proc.StopSignals...)
			defer stop()
			srv, err := ui.New(&stateBackend{g: g}, ui.Options{Port: port})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "hiverun: the dashboard is at %s (Ctrl-C stops it, not the stack)\n", srv.URL())
			return srv.Serve(ctx)
		},
	}
	cmd.Flags().IntVar(&port, "ui-port", 0, "port on 127.0.0.1 (default: a free one)")
	for _, c := range runners {
		addUIFlags(c)
	}
	return cmd
}

// addUIFlags gives a command that runs the stack --ui and --ui-port.
func addUIFlags(c *cobra.Command) {
	c.Flags().Bool("ui", false, "also serve the live dashboard on 127.0.0.1 (see hiverun ui)")
	c.Flags().Int("ui-port", 0, "port of the dashboard (default: a free one)")
}

// startUI serves the dashboard from this process when --ui was given,
// reading the state folder as `hiverun ui` does: the supervisor writes
// memory.json, the page reads it. It returns the address ("" without
// --ui) and how to stop it.
func startUI(cmd *cobra.Command, g *globals) (string, func(), error) {
	on, _ := cmd.Flags().GetBool("ui")
	if !on {
		return "", func() {}, nil
	}
	port, _ := cmd.Flags().GetInt("ui-port")
	srv, err := ui.New(&stateBackend{g: g}, ui.Options{Port: port})
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ctx)
	}()
	return srv.URL(), func() { cancel(); <-done }, nil
}

// stateBackend is the dashboard of the stack in a project's state
// folder, as status, logs, restart and stop see it. It holds nothing
// between calls but small caches, so a stack started, stopped or
// replaced under it is simply what the next call shows.
type stateBackend struct {
	g *globals

	mu       sync.Mutex
	planKey  string              // the Procfile's size and time the deps below are from
	deps     map[string][]string // instance -> instances it depends on
	httpPort map[string]bool     // instance -> its check is HTTP
	probed   map[int]bool        // pid -> answers HTTP on its port
}

func (b *stateBackend) stateDir() string {
	root, err := filepath.Abs(b.g.rootDir())
	if err != nil {
		return ""
	}
	return filepath.Join(root, state.FolderName)
}

// Version is memory.json's size and time: the supervisor rewrites it on
// every change of state.
func (b *stateBackend) Version() string {
	fi, err := os.Stat(filepath.Join(b.stateDir(), "memory.json"))
	if err != nil {
		return "none"
	}
	return fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
}

// planInfo reads the dependencies and checks from the Procfile, again
// only when it changed. A Procfile that does not parse leaves the graph
// without edges; the table does not need it.
func (b *stateBackend) planInfo() (map[string][]string, map[string]bool) {
	key := ""
	if fi, err := os.Stat(b.g.procfilePath()); err == nil {
		key = fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if key == b.planKey && b.deps != nil {
		return b.deps, b.httpPort
	}
	b.planKey, b.deps, b.httpPort = key, map[string][]string{}, map[string]bool{}
	plan, err := b.g.plan(nil)
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
func (b *stateBackend) servesHTTP(pid, port int) bool {
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

func (b *stateBackend) Snapshot() (ui.Snapshot, error) {
	rep, err := b.status()
	if err != nil {
		return ui.Snapshot{}, err
	}
	deps, httpCheck := b.planInfo()
	snap := ui.Snapshot{Processes: []ui.Process{}}
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
		p := ui.Process{Name: r.Name, State: r.State, PID: r.PID, Port: r.Port, Optional: r.Optional, Oneshot: r.Oneshot,
			UptimeMS: r.UptimeMS, Restarts: r.Restarts, CPUPercent: r.CPUPercent, RSSBytes: r.RSSBytes, Deps: deps[r.Name]}
		if p.Deps == nil {
			p.Deps = []string{}
		}
		if h := r.Health; h != nil {
			p.Health = &ui.Health{OK: h.OK, Message: h.Message, At: h.At}
		}
		if r.PID > 0 && r.Port > 0 {
			p.HTTP = httpCheck[r.Name] || b.servesHTTP(r.PID, r.Port)
		}
		snap.Processes = append(snap.Processes, p)
	}
	return snap, nil
}

func (b *stateBackend) Boot() (ui.Boot, []time.Duration, bool, error) {
	dir, err := b.g.openState()
	if err != nil || dir == nil {
		return ui.Boot{}, nil, false, err
	}
	mem, err := dir.LoadMemory()
	if err != nil || len(mem.Startups) == 0 {
		return ui.Boot{}, nil, false, err
	}
	n := len(mem.Startups) - 1
	return ui.BootFromStartup(mem.Startups[n], mem.Instances), ui.Trend(mem.Startups, n), true, nil
}

// Output reads a detached stack's log of one instance (logs/NAME.N.log),
// whole lines only; the rest is read next time.
func (b *stateBackend) Output(name string, cursor int64, max int) ([]ui.Line, int64, error) {
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
	var lines []ui.Line
	sc := bufio.NewReader(strings.NewReader(string(buf[:end+1])))
	for {
		l, err := sc.ReadString('\n')
		if err != nil {
			break
		}
		ll := logs.ParseLine(name, strings.TrimSuffix(l, "\n"))
		lines = append(lines, ui.Line{At: ll.At, Text: ll.Text})
	}
	if from > cursor && len(lines) > 0 {
		lines = lines[1:] // the first was cut by the window
	}
	if cursor == 0 && len(lines) > max {
		lines = lines[len(lines)-max:]
	}
	return lines, from + int64(end) + 1, nil
}

func (b *stateBackend) ask(op, name string) (string, error) {
	dir, err := b.g.openState()
	if err != nil {
		return "", err
	}
	if dir == nil {
		return "", state.ErrNoSupervisor
	}
	return dir.Request(op, []string{name}, false)
}

func (b *stateBackend) Restart(name string) (string, error) { return b.ask("restart", name) }
func (b *stateBackend) Stop(name string) (string, error)    { return b.ask("stop", name) }

// StopStack stops the supervisor as `hiverun stop` does. When the page
// is served by the supervisor itself (--ui), it only sends the signal:
// waiting for our own exit would never answer.
func (b *stateBackend) StopStack() (string, error) {
	dir, err := b.g.openState()
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

// serveDetachedUI serves the dashboard from the background supervisor of
// `up --detach --ui`, for as long as the stack runs.
func serveDetachedUI(cmd *cobra.Command, g *globals) (func(), error) {
	dir, err := g.openState()
	if err != nil {
		return func() {}, err
	}
	return detach.PublishUI(dir, func() (string, func(), error) { return startUI(cmd, g) })
}

func (b *stateBackend) status() (*status.Report, error) {
	dir, err := b.g.openState()
	if err != nil {
		return nil, err
	}
	return status.Build(dir)
}
