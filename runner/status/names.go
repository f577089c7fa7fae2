package status

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
)

// KnownNames fails (bad usage) on the first of names, processes (web) or
// instances (web.2), that is neither a process of pf nor one of recorded,
// the stack that runs here (which may have been started from an earlier
// Procfile). pf is nil when it cannot be read; with neither to ask, there
// is nothing to say.
func KnownNames(pf *procfile.Procfile, recorded, names []string) error {
	known := map[string]bool{}
	var list []string
	add := func(n string) {
		if !known[n] {
			known[n] = true
			list = append(list, n)
		}
	}
	if pf != nil {
		for _, p := range pf.Processes {
			add(p.Name)
		}
	}
	fromProcfile := len(list)
	for _, n := range recorded {
		add(n)
	}
	if len(known) == 0 {
		return nil
	}
	for _, n := range names {
		base, _, _ := strings.Cut(n, ".")
		if known[n] || known[base] {
			continue
		}
		hint := procfile.DidYouMean(list, base)
		if len(list) == fromProcfile {
			return &exitcode.Usage{Msg: fmt.Sprintf("unknown process %q (the Procfile defines: %s)%s", n, strings.Join(list, ", "), hint)}
		}
		sort.Strings(list)
		return &exitcode.Usage{Msg: fmt.Sprintf("unknown process %q (known here: %s)%s", n, strings.Join(list, ", "), hint)}
	}
	return nil
}
