package runcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/proc"
)

// Boot runs plan, the stack a command needs, with names as its selection,
// until ctx ends, taking its signals from sigs and calling ready once the
// stack is ready.
type Boot func(ctx context.Context, plan *procfile.Plan, names []string, sigs chan os.Signal, ready func()) error

// With is `run --with`: the processes named in with (comma-separated,
// resolved by resolve) and what they depend on are booted first, from the
// stack that runs here already when there is one, else by boot; args runs
// once they are ready, with each one's port as NAME_PORT; then what was
// started for it is stopped, and the command's status is returned.
func With(ctx context.Context, with, args []string, resolve func(names []string) (*procfile.Plan, error), boot Boot) error {
	osSigs := make(chan os.Signal, 4)
	signal.Notify(osSigs, proc.StopSignals...)
	defer signal.Stop(osSigs)
	var names []string
	for _, w := range with {
		for _, n := range strings.Split(w, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	plan, err := resolve(names)
	if err != nil {
		return err
	}
	// A command that is not there is said before its stack boots for it.
	if err := Runnable(plan.Env.Values["PATH"], plan.Root, args); err != nil {
		return err
	}
	env := plan.Env.List()
	for _, p := range plan.Selected {
		ins := plan.InstancesOf(p.Name)
		if len(ins) == 0 {
			continue
		}
		key := strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_")) + "_PORT"
		env = append(env, fmt.Sprintf("%s=%d", key, ins[0].Port))
	}
	// A stack that runs here already is used, never taken over.
	if warm, err := FindWarm(plan); err != nil || warm != nil {
		if err != nil {
			return err
		}
		return warm.Run(ctx, osSigs, env, plan.Env.Values["PATH"], plan.Root, args)
	}

	return cold(ctx, osSigs, plan, names, env, args, boot)
}

// cold boots a stack of the command's own with boot.
func cold(ctx context.Context, osSigs <-chan os.Signal, plan *procfile.Plan, names, env, args []string, boot Boot) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	cancel := func() { stop(errors.New("the command has finished")) }
	stackSigs := make(chan os.Signal, 4)
	var (
		mu      sync.Mutex
		running *exec.Cmd
		status  = make(chan error, 1)
	)
	// Signals go to the command while it runs, else to the stack.
	go func() {
		for s := range osSigs {
			mu.Lock()
			c := running
			mu.Unlock()
			if c != nil {
				_ = c.Process.Signal(s)
				continue
			}
			select {
			case stackSigs <- s:
			default:
			}
		}
	}()
	onReady := func() {
		c, err := Start(env, plan.Env.Values["PATH"], plan.Root, args)
		if err != nil {
			status <- err
			cancel()
			return
		}
		mu.Lock()
		running = c
		mu.Unlock()
		go func() {
			err := Wait(c)
			mu.Lock()
			running = nil
			mu.Unlock()
			status <- Status(err)
			cancel()
		}()
	}
	stackErr := boot(ctx, plan, names, stackSigs, onReady)
	mu.Lock()
	c := running
	mu.Unlock()
	if c != nil {
		// The stack ended under the command (a required process died):
		// the command cannot be trusted to finish; end it.
		proc.Terminate(c.Process)
		<-status
		if stackErr == nil {
			stackErr = &exitcode.Code{Code: exitcode.Failed, Msg: "the stack ended before the command"}
		}
		return stackErr
	}
	select {
	case err := <-status:
		return err
	default:
		return stackErr
	}
}
