package ui

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/state"
)

// WriteBootSVG draws the n-th last boot (1: the last) of the state
// folder as a waterfall in path: history --svg and up --report FILE.svg.
func WriteBootSVG(path string, dir *state.Dir, n int) error {
	if dir == nil {
		return errors.New("no startups recorded here yet: nothing to draw")
	}
	mem, err := dir.LoadMemory()
	if err != nil {
		return err
	}
	if len(mem.Startups) == 0 {
		return errors.New("no startups recorded here yet: nothing to draw")
	}
	if n < 1 || n > len(mem.Startups) {
		return &exitcode.Usage{Msg: fmt.Sprintf("--boot %d: %s recorded (1 is the last)", n, life.Count(len(mem.Startups), "boot"))}
	}
	i := len(mem.Startups) - n
	// The instance records describe the latest boot only.
	var insts []*state.Instance
	if n == 1 {
		insts = mem.Instances
	}
	var buf strings.Builder
	if err := Waterfall(&buf, BootFromStartup(mem.Startups[i], insts), Trend(mem.Startups, i)); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(buf.String()), 0o644)
}
