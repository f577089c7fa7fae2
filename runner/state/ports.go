package state

// Ports owned by the stack are checked before anything starts, so a busy
// port is refused with its holder named instead of surfacing later as one
// service's bind error.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hiverun/hiverun/runner/proc"
)

// checkPorts makes sure every port the stack will listen on is free
// before anything starts: those owned (port=), and those its checks ask
// on (health=/ on PORT), whose answer would otherwise come from the holder.
// reclaimed says processes were just stopped: a port still busy with no
// holder to be seen may be one of their sockets being torn down, and gets
// a second to come free before it is refused.
func checkPorts(ctx context.Context, o ReclaimOptions, reclaimed bool) error {
	if o.Plan == nil {
		return nil
	}
	for _, in := range o.Plan.Instances {
		if !in.PortOwned && !in.ChecksOwnPort() || portFree(in.Port) {
			continue
		}
		use := proc.PortHolder(ctx, in.Port)
		if use.PID == 0 && reclaimed {
			deadline := time.Now().Add(time.Second)
			for !portFree(in.Port) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if portFree(in.Port) {
				continue
			}
			use = proc.PortHolder(ctx, in.Port)
		}
		if use.PID == 0 {
			return &Refused{Msg: blockedPort(in.Port, in.Name, use)}
		}
		holder := use.PID
		desc := proc.Describe(holder)
		if !o.Force {
			return &Refused{Msg: fmt.Sprintf("port %d (%s) is held by %s, which hiverun did not start; stop it, or run with --force to stop it (same user only)", in.Port, in.Name, desc)}
		}
		if me, err := user.Current(); err == nil && desc.User != me.Username {
			return &Refused{Msg: fmt.Sprintf("port %d (%s) is held by %s; --force stops only your own processes", in.Port, in.Name, desc)}
		}
		o.Say("--force: stopping %s, which holds port %d", desc, in.Port)
		o.Log.Write(time.Now(), "WARN", fmt.Sprintf("--force: stopping %s, which held port %d", desc, in.Port))
		ct, _ := proc.CreateTime(holder)
		stopOne(ctx, leftover{name: "port holder", pid: holder, ct: ct, signal: "TERM", grace: 5 * time.Second})
		deadline := time.Now().Add(2 * time.Second)
		for !portFree(in.Port) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if !portFree(in.Port) {
			return &Refused{Msg: fmt.Sprintf("port %d (%s) is still in use after stopping pid %d", in.Port, in.Name, holder)}
		}
	}
	return nil
}

// blockedPort explains a port that no server holds yet cannot be bound.
// --force does not apply: a connection's process is a client, not a
// server squatting on the port, and stopping it is not hiverun's call.
func blockedPort(port int, name string, use proc.PortUse) string {
	if use.State == "" {
		return fmt.Sprintf("port %d (%s) is in use and hiverun cannot see by whom (another user's process?); free it or change port=", port, name)
	}
	var by string
	switch {
	case use.ConnPID > 0:
		by = proc.Describe(use.ConnPID).String()
	case use.State == "TIME_WAIT" || use.State == "FIN_WAIT1" || use.State == "FIN_WAIT2" || use.State == "LAST_ACK" || use.State == "CLOSING":
		by = "no process; the kernel lets it go within a minute"
	default:
		by = "its process cannot be seen"
	}
	hint := "wait for it to close or change port="
	if lo, hi, ok := proc.EphemeralPorts(); ok && port >= lo && port <= hi {
		hint = fmt.Sprintf("ports %d-%d are where the kernel picks the local ports of outgoing connections, so any connection can take this one: choose a port below %d", lo, hi, lo)
	}
	return fmt.Sprintf("port %d (%s) is taken by a connection, not a server: %s %s (%s); %s", port, name, use.State, use.Ends, by, hint)
}

// portFree tries to listen on the port on every address: what the service
// itself is about to do.
func portFree(port int) bool {
	l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		// Any other refusal (a privileged port, say) is the service's
		// own business when it starts.
		return !errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use")
	}
	l.Close()
	return true
}
