package state

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hiverun/hiverun/runner/life"
)

const controlName = "control.sock"

// controlRequest is the wire form of a request: one JSON object per
// connection, answered by one JSON object.
type controlRequest struct {
	Token string   `json:"token,omitempty"` // loopback transport only
	Op    string   `json:"op"`
	Names []string `json:"names"`
	Deps  bool     `json:"deps"`
	Env   []string `json:"env,omitempty"`
}

// Control is the live supervisor's end of the control channel: a unix
// socket in the state folder, 0600, that also checks who connects.
type Control struct {
	token string // set on the loopback transport: requests must carry it
	l     net.Listener
	reqs  chan life.ControlRequest
	done  chan struct{}
}

// ListenControl opens the control channel: a unix socket, or on Windows
// a loopback port whose address and token are in a 0600 file. Requests
// arrive on Requests.
func (d *Dir) ListenControl() (*Control, error) {
	return d.listenControl(loopbackControl)
}

const addrName = "control.addr"

func (d *Dir) listenControl(loopback bool) (*Control, error) {
	if loopback {
		return d.listenLoopback()
	}
	p := filepath.Join(d.Path, controlName)
	if fi, err := os.Lstat(p); err == nil {
		// A socket (or a symlink) left by a killed supervisor: remove
		// the entry itself. Anything else is not ours to remove.
		if fi.Mode()&(os.ModeSocket|os.ModeSymlink) == 0 {
			return nil, &Error{Path: p, Msg: "exists and is not a socket; remove it"}
		}
		if err := os.Remove(p); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("unix", p)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return d.serveControl(l, ""), nil
}

// listenLoopback serves on 127.0.0.1 and writes where, with a random
// token that only this user can read: the token is the peer check.
func (d *Dir) listenLoopback() (*Control, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("control port: %w", err)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		l.Close()
		return nil, err
	}
	token := hex.EncodeToString(b)
	if err := d.WriteFile(addrName, []byte(l.Addr().String()+" "+token+"\n"), true); err != nil {
		l.Close()
		return nil, err
	}
	return d.serveControl(l, token), nil
}

func (d *Dir) serveControl(l net.Listener, token string) *Control {
	c := &Control{l: l, token: token, reqs: make(chan life.ControlRequest), done: make(chan struct{})}
	go c.serve()
	return c
}

// Requests delivers the requests to the runner.
func (c *Control) Requests() <-chan life.ControlRequest { return c.reqs }

// Close stops serving and removes the socket.
func (c *Control) Close() {
	close(c.done)
	c.l.Close()
}

func (c *Control) serve() {
	for {
		conn, err := c.l.Accept()
		if err != nil {
			return
		}
		go c.handle(conn)
	}
}

func reply(conn net.Conn, r life.ControlReply) {
	_ = json.NewEncoder(conn).Encode(r)
}

func (c *Control) handle(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.checkPeer(conn); err != nil {
		reply(conn, life.ControlReply{Error: "refused: " + err.Error()})
		return
	}
	var req controlRequest
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(conn, 64<<10)))
	if err := dec.Decode(&req); err != nil {
		reply(conn, life.ControlReply{Error: "malformed request: " + err.Error()})
		return
	}
	if c.token != "" && subtle.ConstantTimeCompare([]byte(req.Token), []byte(c.token)) != 1 {
		reply(conn, life.ControlReply{Error: "refused: wrong token"})
		return
	}
	if req.Op == "ping" {
		reply(conn, life.ControlReply{OK: true, Message: "pong"})
		return
	}
	_ = conn.SetDeadline(time.Time{})
	ch := make(chan life.ControlReply, 1)
	select {
	case c.reqs <- life.ControlRequest{Op: req.Op, Names: req.Names, Deps: req.Deps, Env: req.Env, Reply: ch}:
	case <-c.done:
		reply(conn, life.ControlReply{Error: "the supervisor is stopping"})
		return
	}
	select {
	case r := <-ch:
		reply(conn, r)
	case <-c.done:
		reply(conn, life.ControlReply{Error: "the supervisor stopped"})
	}
}

// ErrNoSupervisor is a control request with nobody to answer it.
var ErrNoSupervisor = errors.New("no supervisor is running this stack")

// Ask sends one request to the live supervisor and returns its answer.
func (d *Dir) Ask(op string, names []string, deps bool) (life.ControlReply, error) {
	return d.AskEnv(op, names, deps, nil)
}

// AskEnv is Ask with an environment (for reload).
func (d *Dir) AskEnv(op string, names []string, deps bool, env []string) (life.ControlReply, error) {
	return d.ask(loopbackControl, controlRequest{Op: op, Names: names, Deps: deps, Env: env})
}

func (d *Dir) ask(loopback bool, req controlRequest) (life.ControlReply, error) {
	var conn net.Conn
	var err error
	if loopback {
		data, rerr := d.ReadFile(addrName)
		if rerr != nil {
			return life.ControlReply{}, ErrNoSupervisor
		}
		addr, token, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
		req.Token = token
		conn, err = net.DialTimeout("tcp", addr, 2*time.Second)
	} else {
		conn, err = net.DialTimeout("unix", filepath.Join(d.Path, controlName), 2*time.Second)
	}
	if err != nil {
		return life.ControlReply{}, ErrNoSupervisor
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return life.ControlReply{}, err
	}
	// A restart waits for readiness: bounded, so a wedged supervisor
	// cannot hang a CI step forever.
	_ = conn.SetDeadline(time.Now().Add(15 * time.Minute))
	var r life.ControlReply
	if err := json.NewDecoder(conn).Decode(&r); err != nil {
		return r, fmt.Errorf("control: no answer: %w", err)
	}
	return r, nil
}
