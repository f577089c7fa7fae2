package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHTTP: a real server that turns ready after a few tries passes; one
// that keeps answering 503 times out with that answer.
func TestHTTP(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	var tries atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) >= 3 {
			ready.Store(true)
		}
		if !ready.Load() || r.URL.Path != "/health" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	c, err := Parse(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	if err := Wait(context.Background(), c, Options{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("ready server: %v", err)
	}
	if n := tries.Load(); n < 3 {
		t.Fatalf("passed after %d tries, before the server was ready", n)
	}

	c, _ = Parse(srv.URL + "/never")
	start := time.Now()
	err = Wait(context.Background(), c, Options{Timeout: 300 * time.Millisecond})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("want a timeout, got %v", err)
	}
	if !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("the last answer is missing: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 3*time.Second {
		t.Errorf("timed out after %s, want about 300ms", d)
	}
}

// TestTCP: a listener passes; a port nobody listens on times out with
// connection refused.
func TestTCP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c, err := Parse("tcp://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := Wait(context.Background(), c, Options{Timeout: 2 * time.Second}); err != nil {
		t.Fatalf("listener: %v", err)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close()
	c, _ = Parse("tcp://" + addr)
	err = Wait(context.Background(), c, Options{Timeout: 200 * time.Millisecond})
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("want a timeout with connection refused, got %v", err)
	}
}

// TestExec: a command that exits 0 passes, one that fails times out with
// its last line, and one that hangs is stopped at the timeout.
func TestExec(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, err := Parse("exec:test -d .")
	if err != nil {
		t.Fatal(err)
	}
	if err := Wait(context.Background(), c, Options{Timeout: 2 * time.Second, Dir: dir}); err != nil {
		t.Fatalf("exec:test -d .: %v", err)
	}

	c, _ = Parse("exec:echo not yet >&2; exit 3")
	err = Wait(context.Background(), c, Options{Timeout: 300 * time.Millisecond})
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "not yet") {
		t.Fatalf("want a timeout with the command's last line, got %v", err)
	}

	c, _ = Parse("exec:sleep 30")
	start := time.Now()
	err = Wait(context.Background(), c, Options{Timeout: 300 * time.Millisecond})
	if !errors.As(err, &te) {
		t.Fatalf("want a timeout, got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a hanging check held the probe for %s", d)
	}
}

// TestDelay: nothing is tried before the delay.
func TestDelay(t *testing.T) {
	t.Parallel()
	var first atomic.Int64
	start := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first.CompareAndSwap(0, int64(time.Since(start)))
	}))
	defer srv.Close()
	c, _ := Parse(srv.URL)
	if err := Wait(context.Background(), c, Options{Timeout: time.Second, Delay: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(first.Load()); d < 200*time.Millisecond {
		t.Fatalf("first try after %s, before the delay", d)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"tcp", "/health", "ftp://x", "tcp://nohost", "exec:", "localhost:80"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	for _, good := range []string{"http://127.0.0.1:1/x", "https://example.test", "tcp://db:5432", "exec:true"} {
		if _, err := Parse(good); err != nil {
			t.Errorf("Parse(%q): %v", good, err)
		}
	}
}
