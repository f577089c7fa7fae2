//go:build linux

package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// testPlan resolves a Procfile in root.
func testPlan(t *testing.T, root, src string) *procfile.Plan {
	t.Helper()
	pf, err := procfile.Parse(filepath.Join(root, "Procfile"), strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := procfile.Resolve(pf, procfile.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// newTestStore opens a fresh folder, holds its lock and starts a Store.
func newTestStore(t *testing.T, src string, before func(d *Dir)) (*Store, *Dir, *procfile.Plan) {
	t.Helper()
	root := t.TempDir()
	d, err := Open(root, true)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := d.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	t.Cleanup(d.Unlock)
	log, err := d.OpenLog()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	if before != nil {
		before(d)
	}
	mem, err := d.LoadMemory()
	if err != nil {
		mem = &Memory{Version: Version}
	}
	plan := testPlan(t, root, src)
	s, err := NewStore(d, mem, log, plan, nil, 0)
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	return s, d, plan
}

// TestStoreSurvivesFailedWrites: a memory.json that cannot be written is
// reported once, in hiverun.log and on stderr, and never takes the stack
// down; once writes work again, memory.json is current.
func TestStoreSurvivesFailedWrites(t *testing.T) {
	t.Parallel()
	s, d, plan := newTestStore(t, "web: sleep 1\n", func(d *Dir) {
		// A folder where memory.json goes: every rename over it fails.
		if err := os.Mkdir(filepath.Join(d.Path, memoryName), 0o700); err != nil {
			t.Fatal(err)
		}
	})
	var stderr strings.Builder
	s.failMu.Lock()
	s.stderr = &stderr
	s.failMu.Unlock()
	in := plan.Instances[0]
	for i := 0; i < 3; i++ {
		s.Record(life.Record{Kind: life.RecStarted, At: time.Now(), Instance: in, PID: os.Getpid(), PGID: os.Getpid()})
		s.flush()
	}
	if err := os.Remove(filepath.Join(d.Path, memoryName)); err != nil {
		t.Fatal(err)
	}
	s.Record(life.Record{Kind: life.RecReady, At: time.Now(), Instance: in})
	s.flush()
	s.log.Flush()
	log, _ := os.ReadFile(filepath.Join(d.Path, logName))
	if n := strings.Count(string(log), "could not write memory.json"); n != 1 {
		t.Errorf("the failed write was logged %d times, want once:\n%s", n, log)
	}
	if !strings.Contains(string(log), "memory.json written again") {
		t.Errorf("recovery not logged:\n%s", log)
	}
	if strings.Count(stderr.String(), "could not write memory.json") > 1 {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	mem, err := d.LoadMemory()
	if err != nil || mem.Lookup(in.Name) == nil || mem.Lookup(in.Name).State != "ready" {
		t.Fatalf("memory after recovery: %+v %v", mem, err)
	}
	s.Close()
}

// A record's identity comes with its process's start, off the path of the
// first write; a record whose process never started gets it from the next
// write, so that a rerun can compare every record with the Procfile.
func TestRecordsGetTheirIdentity(t *testing.T) {
	s, d, plan := newTestStore(t, "web: sleep 1\nworker: sleep 2\n", nil)
	web, worker := plan.Instances[0], plan.Instances[1]
	s.Record(life.Record{Kind: life.RecStarted, At: time.Now(), Instance: web, PID: os.Getpid(), PGID: os.Getpid()})
	s.Close()
	mem, err := d.LoadMemory()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []*procfile.Instance{web, worker} {
		rec := mem.Lookup(in.Name)
		if rec == nil || rec.Fingerprint != procfile.Fingerprint(in) || rec.Settings == nil || rec.Change(in).Changed() {
			t.Errorf("%s: record %+v, want its fingerprint and settings", in.Name, rec)
		}
	}
}

// The boot's own write, which whoever was told "ready" reads next, has the
// identity of a record whose process never started (a skipped dependent):
// without it, up --detach run at once again found that record changed and
// reloaded the stack (found using it).
func TestBootWriteHasEveryIdentity(t *testing.T) {
	s, d, plan := newTestStore(t, "web: sleep 1\nworker: sleep 2\n", nil)
	web, worker := plan.Instances[0], plan.Instances[1]
	s.Record(life.Record{Kind: life.RecStarted, At: time.Now(), Instance: web, PID: os.Getpid(), PGID: os.Getpid()})
	s.Record(life.Record{Kind: life.RecSkipped, At: time.Now(), Instance: worker, Msg: "it depends on web"})
	s.Record(life.Record{Kind: life.RecBoot, At: time.Now(), Boot: &life.BootRecord{Result: life.Result{Outcome: life.BootReady}}})
	mem, err := d.LoadMemory()
	if err != nil {
		t.Fatal(err)
	}
	if rec := mem.Lookup(worker.Name); rec == nil || rec.Settings == nil || rec.Change(worker).Changed() {
		t.Fatalf("the boot's write: %+v, want the skipped record's settings", rec)
	}
	s.Close()
}
