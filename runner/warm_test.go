//go:build linux

package runner

import (
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// TestControlStart: a start request starts what has ended, leaves what
// runs, adds a process the stack was not started with (resolved with
// what it depends on), and names in its reply exactly what it started;
// the stack then stops everything, added processes included.
func TestControlStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "a: sleep 300\n# hiverun: depends=a\nlong-name-b: sleep 301\n")
	h.opts.Select = []string{"a"}
	resolve := h.resolver()
	ask, res := controlled(t, h, func(o *Options) { o.Resolve = resolve })
	h.waitFor("ready in", 10*time.Second)

	if r, _ := ask("start", false, "a"); !r.OK || len(r.Started) != 0 {
		t.Fatalf("start of a running process: %+v", r)
	}
	r, _ := ask("start", false, "long-name-b")
	if !r.OK || !reflect.DeepEqual(r.Started, []string{"long-name-b.1"}) {
		t.Fatalf("start of a process outside the stack: %+v\n%s", r, h.out)
	}
	h.waitFor("long-name-b started", 5*time.Second)
	if r, _ := ask("stop", false, "a"); !r.OK {
		t.Fatalf("stop a: %+v", r)
	}
	if r, _ := ask("start", false, "a"); !r.OK || !reflect.DeepEqual(r.Started, []string{"a.1"}) {
		t.Fatalf("start of a stopped process: %+v\n%s", r, h.out)
	}
	if r, _ := ask("start", false, "nope"); r.OK || r.Error == "" {
		t.Fatalf("start of an unknown process: %+v", r)
	}
	h.sigs <- os.Signal(syscall.SIGTERM)
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("run: %v\n%s", err, h.out)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the stack did not stop:\n%s", h.out)
	}
	if left := h.leftovers(); len(left) > 0 {
		t.Fatalf("left running: %v\n%s", left, h.out)
	}
}

// TestControlLeases: what a start request started is stopped by the
// release of the last run that asked for it, never by another's, and a
// release never stops what runs for the stack itself.
func TestControlLeases(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "a: sleep 300\nb: sleep 301\n")
	ask, res := controlled(t, h, nil)
	h.waitFor("ready in", 10*time.Second)
	if r, _ := ask("stop", false, "b"); !r.OK {
		t.Fatalf("stop b: %+v", r)
	}
	first, _ := ask("start", false, "a", "b")
	second, _ := ask("start", false, "a", "b")
	if !reflect.DeepEqual(first.Started, []string{"b.1"}) || !reflect.DeepEqual(second.Started, []string{"b.1"}) {
		t.Fatalf("leases: first %+v, second %+v", first, second)
	}
	if r, _ := ask("release", false, "a", "b"); !r.OK || r.Message != "kept b, which another command still uses" {
		t.Fatalf("first release: %+v\n%s", r, h.out)
	}
	if r, _ := ask("release", false, "a", "b"); !r.OK || r.Message != "stopped b, started for this command" {
		t.Fatalf("last release: %+v\n%s", r, h.out)
	}
	if r, _ := ask("release", false, "a"); !r.OK || r.Message != "nothing to stop" {
		t.Fatalf("release of the stack's own: %+v", r)
	}
	if strings.Count(h.out.String(), "a stopped") != 0 {
		t.Fatalf("a release stopped a:\n%s", h.out)
	}
	h.sigs <- os.Signal(syscall.SIGTERM)
	select {
	case <-res:
	case <-time.After(20 * time.Second):
		t.Fatalf("the stack did not stop:\n%s", h.out)
	}
}

// TestControlStartWhileBooting: a process added while the stack still
// boots is not part of its boot: the boot line names only the stack's
// own processes.
func TestControlStartWhileBooting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "# hiverun: delay=700ms\na: sleep 300\n# hiverun: depends=a\nb: sleep 301\n")
	h.opts.Select = []string{"a"}
	resolve := h.resolver()
	ask, res := controlled(t, h, func(o *Options) { o.Resolve = resolve })
	h.waitFor("a started", 10*time.Second)
	// b waits for a: the boot ends while b is not yet ready.
	got := make(chan life.ControlReply, 1)
	go func() { r, _ := ask("start", false, "b"); got <- r }()
	if r := <-got; !r.OK || !reflect.DeepEqual(r.Started, []string{"b.1"}) {
		t.Fatalf("start b while a boots: %+v\n%s", r, h.out)
	}
	h.waitFor("| ready in", 10*time.Second)
	for _, l := range strings.Split(h.out.String(), "\n") {
		if strings.Contains(l, "| ready in") && (strings.Contains(l, "not running") || strings.Contains(l, "b ")) {
			t.Fatalf("the boot line counts b, added while it booted: %q\n%s", l, h.out)
		}
	}
	h.sigs <- os.Signal(syscall.SIGTERM)
	select {
	case <-res:
	case <-time.After(20 * time.Second):
		t.Fatalf("the stack did not stop:\n%s", h.out)
	}
}

// resolver resolves processes of h's Procfile as the CLI does for a
// run --with that needs what the stack was not started with.
func (h *harness) resolver() func(names, env []string) (*procfile.Plan, error) {
	pf := h.plan().Procfile
	return func(names, env []string) (*procfile.Plan, error) {
		o := h.opts
		o.Select, o.EnvFiles = names, []string{}
		o.Inherited = append(os.Environ(), "HIVERUN_TEST_ID="+h.id)
		return procfile.Resolve(pf, o)
	}
}
