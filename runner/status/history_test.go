package status

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/state"
)

// TestBuildHistory: the medians, the slowest process and its trend come
// from the kept startups; only ready boots count towards boot times.
func TestBuildHistory(t *testing.T) {
	ready := state.BootResult{Result: life.Result{Outcome: life.BootReady}}
	failed := state.BootResult{Result: life.Result{Outcome: life.BootFailed, Process: "api"}}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mem := &state.Memory{Totals: state.Totals{Startups: 5, Ready: 4, Failed: 1}}
	for _, ms := range []int64{100, 200, 300, 400} {
		mem.Startups = append(mem.Startups, &state.Startup{At: at, BootMS: ms, Result: ready,
			ReadyMS: map[string]int64{"api": ms, "redis": 10}, CriticalPath: []string{"api"}})
	}
	mem.Startups = append(mem.Startups, &state.Startup{At: at, BootMS: 9000, Result: failed})
	rep := BuildHistory(mem)
	tot := rep.Totals
	if tot.MedianBootMS != 200 || tot.P95BootMS != 300 {
		t.Errorf("median %d p95 %d, want 200 and 300 (the failed boot left out)", tot.MedianBootMS, tot.P95BootMS)
	}
	if tot.Slowest != "api" || tot.SlowestMS != 200 || tot.Trend != "+133%" {
		t.Errorf("slowest %q %d trend %q, want api 200 +133%%", tot.Slowest, tot.SlowestMS, tot.Trend)
	}
	if got := rep.Startups[4].Result; got != "failed: api" {
		t.Errorf("result text %q", got)
	}
	var out bytes.Buffer
	PrintHistory(&out, rep)
	if !strings.Contains(out.String(), "5 startups (4 ready, 1 failed), 0 processes reclaimed; boot median 0.20s, p95 0.30s; slowest: api (median 0.20s, trend +133%)") {
		t.Errorf("totals line:\n%s", out.String())
	}
}

func TestBuildHistoryOfNothing(t *testing.T) {
	rep := BuildHistory(nil)
	if rep.Startups == nil || len(rep.Startups) != 0 {
		t.Fatalf("startups %#v, want an empty list (JSON [])", rep.Startups)
	}
	var out bytes.Buffer
	PrintHistory(&out, rep)
	if out.String() != "no startups recorded here yet\n" {
		t.Errorf("%q", out.String())
	}
}

func TestBuildOfNoFolder(t *testing.T) {
	rep, err := Build(nil)
	if err != nil || rep.OK || rep.Supervisor != nil || rep.Instances == nil {
		t.Fatalf("%+v %v", rep, err)
	}
	var out bytes.Buffer
	Print(&out, rep)
	if out.String() != "nothing has run here yet\n" {
		t.Errorf("%q", out.String())
	}
}
