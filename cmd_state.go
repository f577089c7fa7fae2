package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/state"
)

func newStopCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "stop [PROCESS...]",
		Short: "Stop the stack (or the named processes), from any terminal",
		Long: `Stop the stack started in this folder, from any terminal. With a live
supervisor (a foreground hiverun or up --detach), it is asked to stop the
stack in order, dependents first, and exit. With none (it was killed),
hiverun stops the processes it left behind directly, those it can prove
are its own.

With names, stop PROCESS... stops only those processes (web, or one
instance: web.2), each with its stop signal, then SIGKILL after its grace.
This is not a failure: the rest of the stack keeps running, what depends
on them included, and when every process has been stopped so, the
supervisor ends with exit 0. hiverun restart PROCESS starts one again.`,
		Example: `  hiverun stop                # the whole stack
  hiverun stop worker         # only worker; the rest keeps running
  hiverun restart worker      # and back`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if dir == nil {
				fmt.Fprintln(out, "nothing to stop: no stack has run here")
				return nil
			}
			log, err := dir.OpenLog()
			if err != nil {
				return err
			}
			defer log.Close()
			ok, err := dir.TryLockSettled(cmd.Context())
			if err != nil {
				return err
			}
			if !ok {
				mem, err := dir.LoadMemory()
				if err != nil {
					return err
				}
				if len(args) > 0 {
					return askSupervisor(cmd, dir, "stop", args, false)
				}
				if mem.Supervisor == nil {
					return &state.Refused{Msg: "a hiverun holds this folder but memory.json does not name it; not signalling an unknown process"}
				}
				log.Write(time.Now(), "INFO", fmt.Sprintf("stop: asked supervisor pid %d to stop", mem.Supervisor.PID))
				_ = dir.NoteStop(mem.Supervisor.PID, fmt.Sprintf("stopped by hiverun stop (pid %d)", os.Getpid()))
				if err := state.StopSupervisor(cmd.Context(), dir, mem.Supervisor, 2*time.Minute); err != nil {
					return err
				}
				fmt.Fprintf(out, "stopped the stack (supervisor pid %d)\n", mem.Supervisor.PID)
				return nil
			}
			defer dir.Unlock()
			mem, err := dir.LoadMemory()
			if err != nil {
				return err
			}
			for _, w := range dir.Warnings {
				fmt.Fprintln(os.Stderr, "hiverun: warning: "+w)
			}
			var plan *procfile.Plan
			if p, err := g.plan(nil); err == nil {
				plan = p
			}
			n, names := state.StopLeftovers(cmd.Context(), dir, mem, args, plan, log)
			mem.Supervisor = nil
			if err := dir.SaveMemory(mem); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintln(out, "nothing to stop: no process of this stack is running")
				return nil
			}
			fmt.Fprintf(out, "stopped %s: %s\n", life.Count(n, "process"), state.NameList(names))
			return nil
		},
	}
}

// askSupervisor sends a request over the control channel and prints the
// answer; an error answer is exit 1.
func askSupervisor(cmd *cobra.Command, dir *state.Dir, op string, names []string, deps bool) error {
	r, err := dir.Ask(op, names, deps)
	if err != nil {
		return err
	}
	if !r.OK {
		return errors.New(r.Error)
	}
	fmt.Fprintln(cmd.OutOrStdout(), r.Message)
	return nil
}

func newRestartCmd(g *globals) *cobra.Command {
	var deps bool
	cmd := &cobra.Command{
		Use:   "restart PROCESS...",
		Short: "Restart processes of the running stack",
		Long: `Restart the named processes (web, or one instance: web.2) of the stack running
in this folder: each is stopped with its stop signal and started again, and
the command returns once it is ready again. What depends on them is left
alone unless --deps is given.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{Msg: "restart needs process names"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			if dir == nil {
				return state.ErrNoSupervisor
			}
			return askSupervisor(cmd, dir, "restart", args, deps)
		},
	}
	cmd.Flags().BoolVar(&deps, "deps", false, "also restart what depends on them")
	return cmd
}
