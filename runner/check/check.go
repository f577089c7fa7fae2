// Package check runs readiness and health checks: one attempt at a time,
// paced by Interval.
package check

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/proc"
)

// Checker runs one readiness check attempt.
type Checker struct {
	check  procfile.Check
	env    []string
	dir    string
	reaper *proc.Reaper
	client *http.Client
}

func New(c procfile.Check, env []string, dir string, reaper *proc.Reaper) *Checker {
	ck := &Checker{check: c, env: env, dir: dir, reaper: reaper}
	if c.Kind == procfile.CheckHTTP {
		ck.client = &http.Client{
			Transport: &http.Transport{
				// A fresh connection each try: a kept-alive one could
				// belong to a previous instance of the service.
				DisableKeepAlives: true,
				// Development stacks use self-signed certificates; the
				// check asks "is it up", not "is it trusted".
				TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec
				Proxy:           nil,
			},
			// 3xx is ready: do not follow redirects to somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return ck
}

// Try runs one attempt within ctx.
func (ck *Checker) Try(ctx context.Context) error {
	switch ck.check.Kind {
	case procfile.CheckTCP:
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", ck.check.Addr)
		if err != nil {
			return shortNetErr(err)
		}
		conn.Close()
		return nil
	case procfile.CheckHTTP:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ck.check.URL, nil)
		if err != nil {
			return err
		}
		resp, err := ck.client.Do(req)
		if err != nil {
			return shortNetErr(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return &NotYet{Msg: fmt.Sprintf("HTTP %d", resp.StatusCode)}
		}
		return nil
	case procfile.CheckExec:
		return ck.runExec(ctx)
	}
	return nil
}

func (ck *Checker) runExec(ctx context.Context) error {
	path, args := proc.ShellArgs(ck.check.Command)
	cmd := &exec.Cmd{Path: path, Args: args, Env: ck.env, Dir: ck.dir}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	proc.Prepare(cmd, false)
	// A grandchild holding the pipe must not keep the check waiting.
	cmd.WaitDelay = 100 * time.Millisecond
	if err := ck.reaper.Spawn(func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	}); err != nil {
		return err
	}
	g, _ := proc.Attach(cmd.Process.Pid)
	defer g.Close()
	waitErr := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		ck.reaper.Waited(cmd.Process.Pid)
		waitErr <- err
	}()
	select {
	case err := <-waitErr:
		if err != nil {
			msg := err.Error()
			if last := strings.TrimSpace(lastLine(out.String())); last != "" {
				msg += ": " + last
			}
			return &NotYet{Msg: msg}
		}
		return nil
	case <-ctx.Done():
		_ = g.Kill()
		<-waitErr
		return errors.New("check command timed out")
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// shortNetErr drops the Go-internal parts of a network error.
func shortNetErr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return errors.New(strings.TrimPrefix(op.Err.Error(), "connect: "))
	}
	return err
}

// NotYet is an answer that is not yet a pass: an HTTP status outside
// 2xx/3xx, a check command exiting non-zero. The service is up enough to
// answer, so asking again at once only fills its log.
type NotYet struct{ Msg string }

func (e *NotYet) Error() string { return e.Msg }

// MaxBackoff is the longest wait between attempts that got an answer.
const MaxBackoff = 250 * time.Millisecond

// Pacer spaces the attempts of one readiness wait: Interval's fast poll
// while nothing answers (connection refused: a dependency chain boots at
// its critical path), doubling up to MaxBackoff while the answers say
// "not yet".
type Pacer struct {
	Kind     procfile.CheckKind
	Expected time.Duration
	backoff  time.Duration
}

// Next is the wait after an attempt that ended with err, elapsed into the
// wait.
func (p *Pacer) Next(elapsed time.Duration, err error) time.Duration {
	base := Interval(p.Kind, elapsed, p.Expected)
	var ny *NotYet
	if !errors.As(err, &ny) {
		p.backoff = 0
		return base
	}
	p.backoff = min(max(2*p.backoff, base), MaxBackoff)
	return p.backoff
}

// Interval spaces readiness attempts: fast while a service typically comes
// up, relaxed for slow ones, so detection stays within tens of
// milliseconds without hammering. An exec check costs a process per try,
// so it starts a little slower. When earlier boots say when the service is
// usually ready (expected), checks before 70% of that moment are relaxed
// to 20 ms and fast after it: no detection is ever later than 20 ms.
func Interval(kind procfile.CheckKind, elapsed, expected time.Duration) time.Duration {
	base := 5 * time.Millisecond
	if kind == procfile.CheckExec {
		base = 15 * time.Millisecond
	}
	if expected > 0 && elapsed < expected*7/10 {
		return 20 * time.Millisecond
	}
	switch {
	case elapsed < 2*time.Second:
		return base
	case elapsed < 10*time.Second:
		return min(2*base, 20*time.Millisecond)
	default:
		return 20 * time.Millisecond
	}
}
