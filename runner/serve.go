package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/check"
	"github.com/hiverun/hiverun/runner/life"
)

// Restart backoff: from 100 ms, doubling to 30 s, forgotten after 60 s of
// being ready.
const (
	backoffMin   = 100 * time.Millisecond
	backoffMax   = 30 * time.Second
	backoffReset = 60 * time.Second
)

// ctlOp is a request to one instance, from the control channel.
type ctlOp int

const (
	opRestart ctlOp = iota
	opStop
)

type ctlReq struct {
	op    ctlOp
	spec  *procfile.Instance // restart with this (a reload); nil: as it is
	reply chan error
}

// readyGate is closed while the instance is ready, replaced while it
// restarts: a dependent that (re)starts waits on its dependencies' gates.
func (in *inst) readyGate() chan struct{} {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.gate
}

func (in *inst) setGate(open bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if open {
		select {
		case <-in.gate:
		default:
			close(in.gate)
		}
		return
	}
	select {
	case <-in.gate:
		in.gate = make(chan struct{})
	default:
	}
}

// serve runs a ready, long-running instance until the stack stops: it
// restarts it by its policy, answers control requests, and watches its
// health. It returns the child to stop (nil when none runs).
func (r *run) serve(in *inst, p *child) *child {
	backoff := backoffMin
	readySince := r.opts.Now()
	for {
		mon := r.monitor(in, p)
		select {
		case <-r.stopped:
			mon.stop()
			return p

		case req := <-in.ctl:
			mon.stop()
			r.stopProc(in, p)
			r.finish(in, p)
			if req.op == opStop {
				in.setGate(false)
				in.setState(StateStopped)
				r.send(event{in: in, kind: evUserStopped})
				req.reply <- nil
				var next *child
				if next = r.idle(in); next == nil {
					return nil
				}
				p = next
			} else {
				why := "restart requested"
				if req.spec != nil {
					in.setCur(req.spec)
					why = "its command or environment changed"
				}
				var err error
				p, err = r.again(in, why)
				req.reply <- err
				if p == nil {
					if p = r.idle(in); p == nil {
						return nil
					}
				}
			}
			backoff, readySince = backoffMin, r.opts.Now()

		case bad := <-mon.unhealthy:
			mon.stop()
			if in.cur.Proc.Restart != procfile.RestartAlways {
				continue
			}
			r.send(event{in: in, kind: evNote, level: "WARN", msg: fmt.Sprintf("%s is unhealthy (%s): restarting it", in.spec.Display, bad)})
			r.stopProc(in, p)
			r.finish(in, p)
			if p, _ = r.again(in, "unhealthy"); p == nil {
				if p = r.idle(in); p == nil {
					return nil
				}
			}
			readySince = r.opts.Now()

		case <-p.exited:
			mon.stop()
			p.drainWait(100 * time.Millisecond)
			in.setGate(false)
			def := in.cur.Proc
			restart := def.Restart == procfile.RestartAlways || def.Restart == procfile.RestartOnFailure && p.code != 0
			if !restart {
				in.mu.Lock()
				in.state, in.exitCode = StateExited, p.code
				in.mu.Unlock()
				r.record(life.Record{Kind: life.RecExited, Instance: in.spec, Code: p.code, Msg: p.desc})
				r.send(event{in: in, kind: evExited, msg: p.desc, code: p.code})
				if p = r.idle(in); p == nil {
					return nil
				}
				continue
			}
			r.finish(in, p)
			if r.opts.Now().Sub(readySince) > backoffReset {
				backoff = backoffMin
			}
			for {
				r.send(event{in: in, kind: evNote, level: "WARN",
					msg: fmt.Sprintf("%s %s: restarting in %s", in.spec.Display, p.desc, backoff)})
				select {
				case <-time.After(backoff):
				case <-r.stopped:
					return nil
				}
				backoff = min(2*backoff, backoffMax)
				next, err := r.again(in, "")
				if next != nil {
					p = next
					break
				}
				if err == errStopped {
					return nil
				}
				p = &child{desc: err.Error()}
			}
			readySince = r.opts.Now()
		}
	}
}

// again starts the instance anew once its dependencies are ready, and
// waits for it to be ready. A nil child with an error means it could not
// start or become ready (it is stopped again).
func (r *run) again(in *inst, why string) (*child, error) {
	for _, d := range in.deps {
		select {
		case <-d.readyGate():
		case <-r.stopped:
			return nil, errStopped
		}
	}
	in.mu.Lock()
	in.restarts++
	in.mu.Unlock()
	p, err := r.start(in)
	if err != nil {
		r.send(event{in: in, kind: evNote, level: "ERROR", msg: fmt.Sprintf("%s: %v", in.spec.Display, err)})
		return nil, err
	}
	r.record(life.Record{Kind: life.RecStarted, Instance: in.cur, PID: p.pid, PGID: p.pid})
	r.send(event{in: in, kind: evRestarted, code: p.pid, msg: why})
	if err := r.becomeReady(in, p); err != nil {
		if err == errStopped {
			return p, nil // the stack stops it in order
		}
		r.send(event{in: in, kind: evNote, level: "ERROR", msg: fmt.Sprintf("%s failed after restart: %v", in.spec.Display, err)})
		r.stopProc(in, p)
		r.finish(in, p)
		return nil, err
	}
	in.mu.Lock()
	in.readyAt, in.state = r.opts.Now(), StateReady
	in.mu.Unlock()
	in.setGate(true)
	r.record(life.Record{Kind: life.RecReady, Instance: in.spec, Took: in.readyDuration()})
	r.send(event{in: in, kind: evNote, msg: fmt.Sprintf("%s ready again in %s (restart %d)", in.spec.Display, fmtSecs(in.readyDuration()), in.restartCount())})
	return p, nil
}

// idle waits, with nothing running, for the stack to stop (nil) or for a
// restart request (the new child).
func (r *run) idle(in *inst) *child {
	for {
		select {
		case <-r.stopped:
			return nil
		case req := <-in.ctl:
			if req.op == opStop {
				req.reply <- nil
				continue
			}
			why := "restart requested"
			if req.spec != nil {
				in.setCur(req.spec)
				why = "its command or environment changed"
			}
			p, err := r.again(in, why)
			req.reply <- err
			if p != nil {
				r.send(event{in: in, kind: evResumed})
				return p
			}
		}
	}
}

func (in *inst) restartCount() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.restarts
}

// monitorHandle is a running health monitor.
type monitorHandle struct {
	unhealthy <-chan string
	cancel    context.CancelFunc
	wg        *sync.WaitGroup
}

func (m monitorHandle) stop() {
	if m.cancel != nil {
		m.cancel()
		m.wg.Wait()
	}
}

// monitor keeps checking a ready instance at the health interval: after
// HealthFailures failures in a row it is marked unhealthy (once), and a
// passing check clears that.
func (r *run) monitor(in *inst, p *child) monitorHandle {
	spec := in.cur
	if spec.Check.Kind == procfile.CheckNone || r.opts.HealthInterval < 0 || p == nil {
		return monitorHandle{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan string, 1)
	wg := &sync.WaitGroup{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		ck := check.New(spec.Check, spec.Environ, spec.Dir, r.reaper)
		fails, unhealthy := 0, false
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(r.opts.HealthInterval):
			}
			attempt, done := context.WithTimeout(ctx, min(5*time.Second, r.opts.HealthInterval))
			err := ck.Try(attempt)
			done()
			if ctx.Err() != nil {
				return
			}
			switch {
			case err == nil:
				fails = 0
				if unhealthy {
					unhealthy = false
					in.setState(StateReady)
					r.record(life.Record{Kind: life.RecHealth, Instance: in.spec, OK: true, Msg: spec.Check.String()})
					r.send(event{in: in, kind: evNote, msg: fmt.Sprintf("%s is healthy again", in.spec.Display)})
				}
			default:
				fails++
				if fails == r.opts.HealthFailures && !unhealthy {
					unhealthy = true
					in.setState(StateUnhealthy)
					r.record(life.Record{Kind: life.RecHealth, Instance: in.spec, OK: false, Msg: err.Error()})
					r.send(event{in: in, kind: evNote, level: "WARN",
						msg: fmt.Sprintf("%s is unhealthy: %d checks failed in a row (%s: %v)", in.spec.Display, fails, spec.Check, err)})
					select {
					case ch <- err.Error():
					default:
					}
				}
			}
		}
	}()
	return monitorHandle{unhealthy: ch, cancel: cancel, wg: wg}
}
