package procfile

import (
	"fmt"
	"strconv"
	"strings"
)

// formation is what -m asks for: instances per process, and which
// processes it names (all= names none of them).
type formation struct {
	count map[string]int
	named map[string]bool
}

// parseFormation reads "all=1,web=2" as foreman does: without -m every
// process runs once; with -m, the processes it does not name get all=, or
// 0 when there is no all= (`foreman start -m worker=1` runs the worker
// alone).
func parseFormation(pf *Procfile, spec string) (*formation, error) {
	f := &formation{count: map[string]int{}, named: map[string]bool{}}
	if strings.TrimSpace(spec) == "" {
		for _, p := range pf.Processes {
			f.count[p.Name] = 1
		}
		return f, nil
	}
	all := 0
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 || n > 1000 {
			return nil, &Error{Msg: fmt.Sprintf("formation %q: expected NAME=COUNT pairs like all=1,web=2 (COUNT 0-1000), got %q", spec, part)}
		}
		if k == "all" {
			all = n
			continue
		}
		if pf.Lookup(k) == nil {
			return nil, &Error{Msg: fmt.Sprintf("formation %q: unknown process %q (known: %s)", spec, k, names(pf))}
		}
		f.count[k] = n
		f.named[k] = true
	}
	for _, p := range pf.Processes {
		if !f.named[p.Name] {
			f.count[p.Name] = all
		}
	}
	return f, nil
}

// complete adjusts the formation to the selection: a process named on the
// command line runs at least once unless -m sets it to 0 (foreman runs
// `start PROCESS` as PROCESS=1), and a process that a running process
// depends on starts once although -m does not name it. It returns who
// pulled in each such process. A dependency that -m sets to 0 is an
// error: the process that needs it could never become ready.
func (f *formation) complete(pf *Procfile, selected map[string]bool, o Options) (map[string]string, error) {
	for _, w := range o.Select {
		if f.count[w] == 0 && !f.named[w] {
			f.count[w] = 1
		}
	}
	pulled := map[string]string{}
	for changed := true; changed; {
		changed = false
		for _, p := range pf.Processes {
			if !selected[p.Name] || f.count[p.Name] == 0 {
				continue
			}
			for _, d := range p.Depends {
				switch {
				case f.count[d] > 0:
				case f.named[d] && (!o.NoDeps || selected[d]):
					return nil, &Error{File: pf.File, Line: p.KeyLine("depends"),
						Msg: fmt.Sprintf("%s depends on %s, which the formation leaves out (%s=0)", p.Name, d, d)}
				case !o.NoDeps:
					f.count[d] = 1
					pulled[d] = p.Name
					changed = true
				}
			}
		}
	}
	return pulled, nil
}
