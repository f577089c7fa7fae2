package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/proc"
)

// child is a started process and the readers of its output.
type child struct {
	wait    func() (code int, desc string) // reaps it
	grp     *proc.Group
	pid     int
	created int64         // its create time (proc.CreateTime), 0 if unknown
	exited  chan struct{} // closed once Wait has returned
	code    int
	desc    string
	drained chan struct{} // closed when its output reached EOF
	reader  *os.File
	// ctx ends when the process exits or is being stopped: its readiness
	// and health checks end with it.
	ctx    context.Context
	cancel context.CancelFunc
	lines  atomic.Int64 // read so far: a drain that progresses is waited for
}

// exitedCode is the exit code of a child that has exited, else -1.
func exitedCode(p *child) int {
	select {
	case <-p.exited:
		return p.code
	default:
		return -1
	}
}

// drainedWithin gives the output readers up to d to reach EOF.
func (p *child) drainedWithin(d time.Duration) bool {
	select {
	case <-p.drained:
		return true
	case <-time.After(d):
		return false
	}
}

// drainWait waits for the output readers to reach EOF, then closes the
// read side so that a descendant that keeps the pipe open cannot hold us:
// once d has passed with no line read and nothing left in the pipe. While
// lines come, or wait in the pipe because writing them out stalls (a
// loaded machine, a terminal scrolled back), it waits on, up to
// drainMost: closing then cut off the last lines of a process that had
// exited.
func (p *child) drainWait(d time.Duration) {
	for deadline := time.Now().Add(drainMost); time.Now().Before(deadline); {
		seen := p.lines.Load()
		if p.drainedWithin(d) {
			return
		}
		if p.lines.Load() == seen && proc.Unread(p.reader) <= 0 {
			break
		}
	}
	p.reader.Close()
	<-p.drained
}

// drainMost bounds the wait for output that keeps coming after its
// process has ended (a daemon it left writing to the same pipe).
const drainMost = time.Minute

// start launches the instance's command with its output on a pipe (or a
// pseudo-terminal) read by pump. exited is called once the child has
// exited and been reaped, by the goroutine that waited for it (one
// goroutine fewer an instance than a watcher of its own).
func (r *run) start(in *inst, exited func(*child)) (*child, error) {
	spec := in.current()
	path, args, env := r.commandOf(in, spec)
	p := &child{exited: make(chan struct{}), drained: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	var err error
	// The plan's instance is shared and fingerprinted: a pipe standing in
	// for a missing pseudo-terminal is this start's business only.
	tty := spec.TTY
	if tty {
		cmd := &exec.Cmd{Path: path, Args: args, Env: env, Dir: spec.Dir}
		proc.Prepare(cmd, true)
		p.reader, err = proc.StartPTY(r.reaper, cmd)
		if errors.Is(err, proc.ErrNoPTY) {
			tty = false
		} else if err == nil {
			p.pid = cmd.Process.Pid
			p.wait = func() (int, string) { _ = cmd.Wait(); return proc.ExitDescription(cmd.ProcessState) }
		}
	}
	if !tty {
		var w *os.File
		p.reader, w, err = proc.OutputPipe()
		if err != nil {
			return nil, fmt.Errorf("could not start: %v", err)
		}
		files := []*os.File{r.devNull, w, w}
		err = r.reaper.Spawn(func() (int, error) {
			before := proc.BootClock()
			p.pid, p.wait, err = proc.Start(path, args, env, spec.Dir, files)
			if err != nil {
				return 0, err
			}
			// Read now: later, the pid might name another process.
			p.created, _ = proc.CreateTimeWithin(p.pid, before, proc.BootClock())
			return p.pid, nil
		})
		w.Close()
	}
	if err != nil {
		if p.reader != nil {
			p.reader.Close()
		}
		return nil, fmt.Errorf("could not start: %v", err)
	}
	p.grp, err = proc.Attach(p.pid)
	if err != nil {
		r.info("%s: could not attach to its process tree: %v", spec.Display, err)
	}
	in.mu.Lock()
	in.pid, in.startAt, in.tries, in.lastErr = p.pid, r.opts.Now(), 0, ""
	in.mu.Unlock()

	go func() {
		if exited := r.reaper.Exited(p.pid); exited != nil {
			<-exited
		} else {
			proc.AwaitExit(p.pid)
		}
		p.code, p.desc = p.wait()
		r.reaper.Waited(p.pid)
		close(p.exited)
		p.cancel()
		exited(p)
	}()
	return p, nil
}

// pumpOutput sends the child's output to the screen or its log file, and
// keeps its last lines for a failure report.
func (r *run) pumpOutput(in *inst, p *child) {
	go func() {
		pump(p.reader, func(lines [][]byte) {
			p.lines.Add(int64(len(lines)))
			if in.log != nil {
				in.log.lines(r.opts.Now(), lines)
			} else {
				r.out.lines(in.prefix, lines)
			}
			in.tail.add(lines)
		})
		p.reader.Close()
		close(p.drained)
	}()
}

// commandOf is what starts spec: its own argv where it needs no shell,
// else its command under the shell; and its environment, made once per
// spec: the stack's variables and the command's own assignments (FOO=1
// cmd) set on the planned environment, the last value of a key winning,
// as under exec.Cmd.
func (r *run) commandOf(in *inst, spec *procfile.Instance) (path string, args, env []string) {
	if in.launch.spec == spec {
		return in.launch.path, in.launch.args, in.launch.env
	}
	over := r.opts.ExtraEnv[:len(r.opts.ExtraEnv):len(r.opts.ExtraEnv)]
	if spec.Exec.Script == "" {
		if found := r.paths.Look(spec.Exec.Argv[0], spec.Env.Values["PATH"], spec.Dir); found != "" {
			path, args = found, spec.Exec.Argv
			over = append(over, spec.Exec.Env...)
		}
	}
	if path == "" {
		script := spec.Exec.Script
		if script == "" {
			script = spec.Proc.Command
		}
		path, args = proc.ShellArgs(script)
	}
	env = proc.Override(spec.Environ, over)
	in.launch = launch{spec: spec, path: path, args: args, env: env}
	return path, args, env
}

// launch is what an instance's spec starts, kept while the spec stays.
type launch struct {
	spec      *procfile.Instance
	path      string
	args, env []string
}
