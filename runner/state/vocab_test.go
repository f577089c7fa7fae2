//go:build linux

package state

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/life"
)

// oldMemory is memory.json as hiverun wrote it before the shared
// vocabulary: states of its own ("checking") and results as text.
const oldMemory = `{
  "version": 1,
  "stack_id": "abc",
  "instances": [
    {"name": "web.1", "process": "web", "pid": 0, "state": "checking"},
    {"name": "db.1", "process": "db", "pid": 0, "state": "ready"},
    {"name": "job.1", "process": "job", "pid": 0, "state": "exited", "exit_code": 0}
  ],
  "startups": [
    {"at": "2024-01-15T10:30:45Z", "boot_ms": 930, "result": "ready"},
    {"at": "2024-01-15T10:31:45Z", "result": "failed: web"},
    {"at": "2024-01-15T10:32:45Z", "result": "failed: migrate failed"},
    {"at": "2024-01-15T10:33:45Z", "result": "interrupted"}
  ],
  "totals": {"startups": 4, "ready": 1, "failed": 2}
}
`

// TestMemoryReadsTodaysFiles: a memory.json written by today's hiverun
// reads into the shared vocabulary, and is written back in it, still as
// version 1.
func TestMemoryReadsTodaysFiles(t *testing.T) {
	t.Parallel()
	d, _ := Open(t.TempDir(), true)
	if err := os.WriteFile(filepath.Join(d.Path, memoryName), []byte(oldMemory), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(m *Memory) {
		t.Helper()
		if got := m.Lookup("web.1").State; got != life.Starting {
			t.Errorf("checking read as %q, want %q", got, life.Starting)
		}
		if got := m.Lookup("db.1").State; got != life.Ready {
			t.Errorf("ready read as %q", got)
		}
		want := []life.Result{
			{Outcome: life.BootReady},
			{Outcome: life.BootFailed, Process: "web"},
			{Outcome: life.BootFailed, Process: "migrate", Reason: "migrate failed"},
			{Outcome: life.BootInterrupted},
		}
		text := []string{"ready", "failed: web", "failed: migrate failed", "interrupted"}
		if len(m.Startups) != len(want) {
			t.Fatalf("startups: %d", len(m.Startups))
		}
		for i, st := range m.Startups {
			if st.Result.Result != want[i] {
				t.Errorf("startup %d: result %+v, want %+v", i, st.Result.Result, want[i])
			}
			if st.Result.String() != text[i] {
				t.Errorf("startup %d: shown as %q, want %q", i, st.Result.String(), text[i])
			}
		}
	}
	m, err := d.LoadMemory()
	if err != nil || len(d.Warnings) != 0 {
		t.Fatalf("load: %v %v", err, d.Warnings)
	}
	check(m)
	if err := d.SaveMemory(m); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(d.Path, memoryName))
	var doc struct {
		Version  int `json:"version"`
		Startups []struct {
			Result map[string]any `json:"result"`
		} `json:"startups"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Version != 1 {
		t.Fatalf("written: %v version %d\n%s", err, doc.Version, raw)
	}
	if r := doc.Startups[1].Result; r["outcome"] != "failed" || r["process"] != "web" {
		t.Errorf("result written as %v", r)
	}
	if strings.Contains(string(raw), `"checking"`) {
		t.Errorf("an old state word written back:\n%s", raw)
	}
	m, err = d.LoadMemory()
	if err != nil {
		t.Fatal(err)
	}
	check(m)
}

// TestStoreRecordsStatesAndBoots: RecState sets the instance's state, its
// reason and, where one applies, its exit code; the boot is kept with its
// typed result and its spans.
func TestStoreRecordsStatesAndBoots(t *testing.T) {
	t.Parallel()
	s, d, plan := newTestStore(t, "web: sleep 1\napi: sleep 1\n", nil)
	web, api := plan.Instances[0], plan.Instances[1]
	if web.Name != "web.1" {
		web, api = api, web
	}
	now := time.Now()
	s.Record(life.Record{Kind: life.RecStarted, At: now, Instance: web, PID: os.Getpid(), PGID: os.Getpid()})
	s.Record(life.Record{Kind: life.RecState, At: now, Instance: web, State: life.Starting})
	s.Record(life.Record{Kind: life.RecState, At: now, Instance: web, State: life.Ready})
	s.Record(life.Record{Kind: life.RecStarted, At: now, Instance: api, PID: os.Getpid(), PGID: os.Getpid()})
	s.Record(life.Record{Kind: life.RecState, At: now, Instance: api, State: life.Failed, Msg: "exited with code 3", Code: 3})
	spans := []life.Span{
		{Name: "web.1", Took: 120 * time.Millisecond, State: life.Ready},
		{Name: "api.1", Waited: 5 * time.Millisecond, Took: 40 * time.Millisecond, State: life.Failed, Reason: "exited with code 3"},
	}
	s.Record(life.Record{Kind: life.RecBoot, At: now, Boot: &life.BootRecord{
		Ready:  map[string]time.Duration{"web.1": 120 * time.Millisecond},
		Boot:   130 * time.Millisecond,
		Result: life.Result{Outcome: life.BootFailed, Process: "api", Reason: "api failed"},
		Spans:  spans,
	}})
	s.flush()

	m, err := d.LoadMemory()
	if err != nil {
		t.Fatal(err)
	}
	if in := m.Lookup("web.1"); in.State != life.Ready || in.Reason != "" || !in.Running() {
		t.Errorf("web.1: %+v", in)
	}
	in := m.Lookup("api.1")
	if in.State != life.Failed || in.Reason != "exited with code 3" || in.ExitCode == nil || *in.ExitCode != 3 {
		t.Errorf("api.1: %+v", in)
	}
	if len(m.Startups) != 1 {
		t.Fatalf("startups: %+v", m.Startups)
	}
	st := m.Startups[0]
	if st.Result.Result != (life.Result{Outcome: life.BootFailed, Process: "api", Reason: "api failed"}) || st.Result.String() != "failed: api failed" {
		t.Errorf("result: %+v %q", st.Result, st.Result.String())
	}
	if !reflect.DeepEqual(st.Spans, spans) {
		t.Errorf("spans: %+v", st.Spans)
	}
	if m.Totals.Failed != 1 {
		t.Errorf("totals: %+v", m.Totals)
	}
	s.Close()
}
