//go:build linux

package runner

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/life"
)

var updateScenarios = flag.Bool("update-scenarios", false, "rewrite runner/testdata/scenarios")

// scenario is a Procfile in and the exact output out: no colour, no
// timestamps, a fixed clock (every duration reads 0.00s) and pids as "N".
// Each scenario is sequential by construction (a chain, one process at a
// time), so the order of its lines is fixed.
type scenario struct {
	name     string
	procfile string
	// drive acts on the running stack; nil lets it run to its end.
	drive func(t *testing.T, h *harness, ask askFunc)
	want  error // the kind of end: nil or an *ExitError
}

type askFunc = func(op string, deps bool, names ...string) (life.ControlReply, time.Duration)

var pidRe = regexp.MustCompile(`pid \d+`)

func TestScenarios(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sc.procfile)
			h.write("closing.py", closing)
			fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			ask, res := controlled(t, h, func(o *Options) {
				o.Now = func() time.Time { return fixed }
				o.HealthInterval = 50 * time.Millisecond
				o.HealthFailures = 2
			})
			if sc.drive != nil {
				sc.drive(t, h, ask)
			}
			var err error
			select {
			case err = <-res:
			case <-time.After(30 * time.Second):
				t.Fatalf("the stack did not end; output:\n%s", h.out)
			}
			if (err == nil) != (sc.want == nil) {
				t.Fatalf("ended with %v, want %v; output:\n%s", err, sc.want, h.out)
			}
			got := pidRe.ReplaceAllString(h.out.String(), "pid N")
			golden := filepath.Join("testdata", "scenarios", sc.name+".txt")
			if *updateScenarios {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (make it with -update-scenarios)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// closing is a service that says so when it is asked to stop: the order of
// those lines is the order of the stop. It is ready once it can say so.
const closing = `import signal, sys, time
def close(*_):
    print(sys.argv[1], "closing", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, close)
open(sys.argv[1] + ".up", "w").close()
time.sleep(60)
`

// interrupt is Ctrl-C once the line is on screen.
func interrupt(line string) func(t *testing.T, h *harness, ask askFunc) {
	return func(t *testing.T, h *harness, ask askFunc) {
		h.waitFor(line, 15*time.Second)
		h.sigs <- syscall.SIGINT
	}
}

var scenarios = []scenario{
	{
		name: "boot",
		procfile: `# hiverun: oneshot
migrate: echo schema at version 3
# hiverun: depends=migrate health="exec:true"
api: sleep 30
# hiverun: depends=api delay=100ms
worker: sleep 30
`,
		drive: interrupt("| ready in"),
	},
	{
		name: "failure",
		procfile: `# hiverun: health="exec:false" timeout=5s
db: sh -c 'echo starting db; echo no space left on device; exit 3'
# hiverun: depends=db
api: sleep 30
`,
		want: &ExitError{Code: 1},
	},
	{
		name: "optional",
		procfile: `# hiverun: optional health="exec:false"
cache: sh -c 'echo no cache here; exit 1'
# hiverun: depends=cache optional
warmer: sleep 30
`,
	},
	{
		name: "oneshot",
		procfile: `# hiverun: oneshot
first: echo one
# hiverun: oneshot depends=first
second: echo two
# hiverun: oneshot depends=second
third: sh -c 'echo three; exit 0'
`,
	},
	{
		name: "restart",
		procfile: `# hiverun: restart=on-failure delay=100ms
flaky: sh -c 'if [ -e ran ]; then echo second run; exec sleep 30; fi; touch ran; sleep 0.3; echo crashing; exit 7'
`,
		drive: interrupt("flaky   | second run"),
	},
	{
		name: "unhealthy",
		procfile: `# hiverun: health="exec:test ! -e sick"
api: sleep 30
`,
		drive: func(t *testing.T, h *harness, ask askFunc) {
			h.waitFor("| ready in", 15*time.Second)
			h.write("sick", "")
			h.waitFor("is unhealthy", 15*time.Second)
			if err := os.Remove(filepath.Join(h.dir, "sick")); err != nil {
				t.Fatal(err)
			}
			h.waitFor("healthy again", 15*time.Second)
			h.sigs <- syscall.SIGINT
		},
	},
	{
		name: "stop",
		procfile: `# hiverun: health="exec:test -e db.up"
db: python3 closing.py db
# hiverun: depends=db health="exec:test -e api.up"
api: python3 closing.py api
# hiverun: depends=api health="exec:test -e worker.up"
worker: python3 closing.py worker
`,
		drive: func(t *testing.T, h *harness, ask askFunc) {
			h.waitFor("| ready in", 15*time.Second)
			if r, _ := ask("stop", false, "worker"); !r.OK {
				t.Fatalf("stop worker: %s", r.Error)
			}
			h.waitFor("worker stopped on request", 15*time.Second)
			h.sigs <- syscall.SIGINT
		},
	},
}
