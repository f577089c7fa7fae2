package runner

import (
	"os"
	"time"

	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/proc"
)

// sameRequest is how soon a signal after the first one is taken as the
// same request: GNU timeout (and other CI wrappers) signal their child and
// then its whole process group, so one stop arrives twice.
const sameRequest = time.Second

// signalled stops the stack on a first signal; one that follows it within
// sameRequest repeats it, and any later one kills at once.
func (r *run) signalled(sig os.Signal) {
	name := proc.SignalName(sig)
	now := time.Now()
	if !r.signalAt.IsZero() && now.Sub(r.signalAt) < sameRequest {
		r.signalAt = time.Time{} // only one repeat is forgiven
		if r.stopReason == outputClosed {
			r.say("received %s as its output closed: the same request, still stopping in order (another signal kills at once)", name)
			return
		}
		r.say("received %s again within %s: the same request, still stopping in order (another signal kills at once)", name, sameRequest)
		return
	}
	if !r.isStopping() {
		r.signalAt = now
	}
	r.interrupt("received " + name)
}

// stopProc stops the instance's process group: its stop signal, then
// SIGKILL after its grace (at once after a second interrupt), and returns
// when nothing of the group is alive.
func (r *run) stopProc(in *inst, p *child) {
	select {
	case <-p.exited:
		if !p.grp.Living() {
			return
		}
	default:
	}
	cur := in.current()
	_ = p.grp.Signal(cur.Proc.Signal)
	grace := time.NewTimer(cur.Grace)
	defer grace.Stop()
	killed := false
	kill := func(why string) {
		if !killed {
			killed = true
			if why != "" {
				r.infoAt("WARN", "%s did not stop within %s: killing it", in.spec.Display, cur.Grace)
			}
			_ = p.grp.Kill()
		}
	}
	killNow := r.killNow
	select {
	case <-p.exited:
	case <-grace.C:
		kill("grace")
	case <-killNow:
		kill("")
	}
	// The leader is gone; what else it started in its group may not be.
	// Members that died are zombies until reaped (by us as subreaper, or
	// by init): trust the cheap check first, then look closer.
	step := time.Millisecond
	var hardStop <-chan time.Time
	leaderGone := time.Now()
	for p.grp.Alive() && (time.Since(leaderGone) < 50*time.Millisecond || p.grp.Living()) {
		if killed && hardStop == nil {
			hardStop = time.After(5 * time.Second)
		}
		select {
		case <-time.After(step):
		case <-grace.C:
			kill("grace")
		case <-killNow:
			killNow = nil
			kill("")
		case <-hardStop:
			r.info("%s: some of its processes survive SIGKILL (uninterruptible?); giving up on them", in.spec.Display)
			return
		}
		step = min(2*step, 20*time.Millisecond)
	}
}

func (r *run) finish(in *inst, p *child) {
	p.drainWait(500 * time.Millisecond)
	<-p.exited
	p.grp.Close()
	r.record(life.Record{Kind: life.RecStopped, Instance: in.spec, Code: p.code})
}

// isStopping tells whether the stack has begun to stop; any goroutine may
// ask.
func (r *run) isStopping() bool {
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}

// interrupt stops the stack in order the first time, and kills everything
// at once the second.
func (r *run) interrupt(why string) {
	if r.isStopping() {
		r.killed.Do(func() {
			r.say("%s again: killing everything now", why)
			close(r.killNow)
		})
		return
	}
	r.stop(why, 0)
}

// outputGone stops the stack in order once nobody reads its output. It is
// never a second request: Ctrl-C on `hiverun | tee log` ends tee too, and
// that must not turn the orderly stop into a kill.
func (r *run) outputGone() {
	if r.isStopping() {
		return
	}
	// The Ctrl-C that ended the reader reaches hiverun too, a moment
	// before or after: within sameRequest it is this same request.
	r.signalAt = time.Now()
	r.stop(outputClosed, 0)
}

// outputClosed is the reason of a stop that outputGone began.
const outputClosed = "its output was closed (the program reading it has exited)"

// stop begins stopping the stack; the first reason decides the exit code.
func (r *run) stop(reason string, code int) {
	r.once.Do(func() {
		r.out.setLive("")
		r.stopReason, r.exitCode = reason, code
		if !r.summarised {
			// The boot did not finish: remember how it ended.
			r.summarised = true
			result := life.Result{Outcome: life.BootInterrupted}
			if code != 0 {
				result = life.Result{Outcome: life.BootFailed, Process: r.failed, Reason: reason}
			}
			r.recordBoot(result)
		}
		r.say("stopping: %s", reason)
		close(r.stopped)
	})
}

// stopAdopted stops descendants that left their process group and were
// orphaned to hiverun (double-forked daemons): TERM, then KILL.
func (r *run) stopAdopted() {
	pids := r.reaper.Adopted()
	if len(pids) == 0 {
		return
	}
	their := "its"
	if len(pids) > 1 {
		their = "their"
	}
	r.say("stopping %s that left %s process group", life.Count(len(pids), "process"), their)
	for _, pid := range pids {
		proc.SignalPid(pid, "TERM")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		alive := 0
		for _, pid := range pids {
			if proc.PidAlive(pid) {
				alive++
			}
		}
		if alive == 0 {
			return
		}
		select {
		case <-r.killNow:
			deadline = time.Now()
		case <-time.After(5 * time.Millisecond):
		}
	}
	for _, pid := range pids {
		if proc.PidAlive(pid) {
			proc.SignalPid(pid, "KILL")
		}
	}
}
