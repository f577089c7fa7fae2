// Package logs reads the process logs of a detached stack
// (.hiverun/logs/NAME.N.log): it parses their stamped lines, merges
// several files in time order, follows them as they grow, and reads the
// last lines of one boot. The runner writes them; this package only reads.
package logs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/state"
)

// TimeFormat starts every line of a process log file, so that `hiverun
// logs` can merge several files in time order.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// SelfName is the log of hiverun's own lines among the process logs
// (hiverun.log): instances' files are NAME.N.log, so it cannot collide.
const SelfName = "hiverun"

// Line is one stamped line of a process log.
type Line struct {
	At   time.Time // zero when the line has no stamp
	Name string    // the instance
	Text string
}

// ParseLine splits a line of name's log into its stamp and text; a line
// without a stamp is all text.
func ParseLine(name, l string) Line {
	stamp, text, ok := strings.Cut(l, " ")
	t, err := time.Parse(TimeFormat, stamp)
	if !ok || err != nil {
		return Line{Name: name, Text: l}
	}
	return Line{At: t, Name: name, Text: text}
}

// Files maps instance names to their log files, for names (process or
// instance names; all when empty). A name without a log is a usage error.
func Files(dir *state.Dir, names []string) (map[string]string, error) {
	paths, _ := filepath.Glob(filepath.Join(dir.Path, "logs", "*.log"))
	files := map[string]string{}
	for _, p := range paths {
		inst := strings.TrimSuffix(filepath.Base(p), ".log")
		proc, _, _ := strings.Cut(inst, ".")
		if len(names) == 0 {
			files[inst] = p
			continue
		}
		for _, n := range names {
			if n == inst || n == proc {
				files[inst] = p
			}
		}
	}
	for _, n := range names {
		found := false
		for inst := range files {
			if p, _, _ := strings.Cut(inst, "."); inst == n || p == n {
				found = true
			}
		}
		if !found {
			return nil, &exitcode.Usage{Msg: fmt.Sprintf("no log of %q in %s", n, filepath.Join(dir.Path, "logs"))}
		}
	}
	return files, nil
}

// DisplayNames shows web for a single instance, web.1 and web.2 otherwise.
func DisplayNames(files map[string]string) map[string]string {
	count := map[string]int{}
	for inst := range files {
		p, _, _ := strings.Cut(inst, ".")
		count[p]++
	}
	out := map[string]string{}
	for inst := range files {
		p, _, _ := strings.Cut(inst, ".")
		if count[p] == 1 {
			out[inst] = p
		} else {
			out[inst] = inst
		}
	}
	return out
}

// LastLinesSince reads the last n lines of one boot of a process log,
// without their stamps: the log is kept across boots, and an earlier run's
// lines would pass for this one's.
func LastLinesSince(path string, n int, since time.Time) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if !since.IsZero() {
		kept := all[:0]
		for _, l := range all {
			stamp, _, _ := strings.Cut(l, " ")
			if at, err := time.Parse(TimeFormat, stamp); err != nil || !at.Before(since) {
				kept = append(kept, l)
			}
		}
		all = kept
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	out := make([]string, 0, len(all))
	for _, l := range all {
		if _, text, ok := strings.Cut(l, " "); ok {
			l = text
		}
		if l != "" || len(all) > 1 {
			out = append(out, l)
		}
	}
	return out
}
