package procfile

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// CheckKind says how readiness is measured.
type CheckKind int

// Check kinds.
const (
	CheckNone CheckKind = iota
	CheckHTTP
	CheckTCP
	CheckExec
)

// Check is a resolved readiness check.
type Check struct {
	Kind    CheckKind
	URL     string // CheckHTTP
	Addr    string // CheckTCP, host:port
	Command string // CheckExec, run by sh -c
	// Shown is the check as it may be shown and written down, when that
	// differs from what is run: variables other than PORT and PS left as
	// written (${API_TOKEN}), never their values.
	Shown string
}

// ChecksOwnPort tells whether the instance's check asks on its own PORT
// (health=/path or tcp): then it listens there, port= or not.
func (in *Instance) ChecksOwnPort() bool {
	local := net.JoinHostPort("127.0.0.1", strconv.Itoa(in.Port))
	switch in.Check.Kind {
	case CheckTCP:
		return in.Check.Addr == local
	case CheckHTTP:
		u, err := url.Parse(in.Check.URL)
		return err == nil && u.Host == local
	}
	return false
}

// String is the check as it may be shown: never a value from an env file.
func (c Check) String() string {
	if c.Shown != "" {
		return c.Shown
	}
	switch c.Kind {
	case CheckHTTP:
		return c.URL
	case CheckTCP:
		return "tcp://" + c.Addr
	case CheckExec:
		return "exec:" + c.Command
	}
	return ""
}

// ParseCheck resolves a health= value for a process whose PORT is port.
func ParseCheck(v string, port int) (Check, error) {
	const want = "expected http://…, https://…, /path, tcp, tcp://host:port or \"exec:CMD\""
	local := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	switch {
	case v == "tcp":
		return Check{Kind: CheckTCP, Addr: local}, nil
	case strings.HasPrefix(v, "exec:"):
		cmd := strings.TrimSpace(strings.TrimPrefix(v, "exec:"))
		if cmd == "" {
			return Check{}, fmt.Errorf("health=%s: exec: needs a command", v)
		}
		return Check{Kind: CheckExec, Command: cmd}, nil
	case strings.HasPrefix(v, "/"):
		u := "http://" + local + v
		if _, err := url.ParseRequestURI(u); err != nil {
			return Check{}, fmt.Errorf("health=%s: bad path", v)
		}
		return Check{Kind: CheckHTTP, URL: u}, nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return Check{}, fmt.Errorf("health=%s: %s", v, want)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return Check{}, fmt.Errorf("health=%s: URL has no host", v)
		}
		return Check{Kind: CheckHTTP, URL: v}, nil
	case "tcp":
		host, p, err := net.SplitHostPort(u.Host)
		if err != nil || host == "" {
			return Check{}, fmt.Errorf("health=%s: expected tcp://host:port", v)
		}
		if _, err := ParsePort(p); err != nil {
			return Check{}, fmt.Errorf("health=%s: %v", v, err)
		}
		return Check{Kind: CheckTCP, Addr: u.Host}, nil
	}
	return Check{}, fmt.Errorf("health=%s: unknown scheme %q; %s", v, u.Scheme, want)
}
