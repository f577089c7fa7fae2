//go:build linux

package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/proc"
)

// syncBuffer is a sink that tests can read while the runner writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness runs a Procfile in a temporary project. Every process it starts
// carries HIVERUN_TEST_ID in its environment, so leftovers can be found.
type harness struct {
	t    *testing.T
	dir  string
	id   string
	out  *syncBuffer
	sigs chan os.Signal
	opts procfile.Options
}

func newHarness(t *testing.T, src string) *harness {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	h := &harness{t: t, dir: dir, id: hex.EncodeToString(b), out: &syncBuffer{}, sigs: make(chan os.Signal, 2)}
	h.opts = procfile.Options{Grace: 5 * time.Second}
	t.Cleanup(func() {
		for _, pid := range h.leftovers() {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			t.Errorf("process %d left running: %q (%s)", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}), bytes.TrimSpace(stat))
			_ = syscallKill(pid)
		}
	})
	return h
}

func (h *harness) write(name, content string) {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) plan() *procfile.Plan {
	h.t.Helper()
	name := filepath.Join(h.dir, "Procfile")
	f, err := os.Open(name)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	pf, err := procfile.Parse(name, f)
	if err != nil {
		h.t.Fatal(err)
	}
	o := h.opts
	o.Inherited = append(os.Environ(), "HIVERUN_TEST_ID="+h.id)
	if o.EnvFiles == nil {
		o.EnvFiles = []string{}
	}
	pl, err := procfile.Resolve(pf, o)
	if err != nil {
		h.t.Fatal(err)
	}
	return pl
}

// start runs the stack in the background; the returned channel yields
// Run's error.
func (h *harness) start(ctx context.Context, mod func(*Options)) <-chan error {
	pl := h.plan()
	o := Options{Stdout: h.out, Signals: h.sigs}
	if mod != nil {
		mod(&o)
	}
	res := make(chan error, 1)
	go func() { res <- Run(ctx, pl, o) }()
	return res
}

// run runs the stack to its end, failing the test after limit.
func (h *harness) run(limit time.Duration, mod func(*Options)) error {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	res := h.start(ctx, mod)
	select {
	case err := <-res:
		return err
	case <-time.After(limit + 10*time.Second):
		h.t.Fatalf("runner did not return; output:\n%s", h.out.String())
		return nil
	}
}

// waitFor waits until the output contains s.
func (h *harness) waitFor(s string, limit time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if strings.Contains(h.out.String(), s) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.t.Fatalf("no %q within %s; output:\n%s", s, limit, h.out.String())
}

// leftovers lists living processes carrying this test's id.
func (h *harness) leftovers() []int { return proc.FindByEnv("HIVERUN_TEST_ID=" + h.id) }

// lines returns the output lines of one process ("name | text" → text).
func (h *harness) lines(name string) []string {
	var out []string
	for _, l := range strings.Split(h.out.String(), "\n") {
		n, text, ok := strings.Cut(l, " | ")
		if ok && strings.TrimSpace(n) == name {
			out = append(out, text)
		}
	}
	return out
}
