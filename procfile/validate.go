package procfile

import (
	"fmt"
	"strings"
)

// validators run after parsing, each looking at the whole Procfile.
var validators = []func(*Procfile) error{
	validateDepends,
	validateCycles,
	validateOneshot,
}

func validate(pf *Procfile) error {
	for _, v := range validators {
		if err := v(pf); err != nil {
			return err
		}
	}
	return nil
}

func validateDepends(pf *Procfile) error {
	for _, p := range pf.Processes {
		seen := map[string]bool{}
		for _, d := range p.Depends {
			line := p.KeyLine("depends")
			switch {
			case d == p.Name:
				return &Error{File: pf.File, Line: line, Msg: fmt.Sprintf("%s depends on itself", p.Name)}
			case pf.Lookup(d) == nil:
				return &Error{File: pf.File, Line: line, Msg: fmt.Sprintf("%s depends on unknown process %q%s", p.Name, Clip(d), didYouMean(pf, d))}
			case seen[d]:
				return &Error{File: pf.File, Line: line, Msg: fmt.Sprintf("%s lists %q twice in depends", p.Name, d)}
			}
			seen[d] = true
		}
	}
	return nil
}

// validateCycles reports the first cycle found as the cycle itself,
// "a -> b -> c -> a", at the line of the annotation that closes it.
func validateCycles(pf *Procfile) error {
	const (
		unvisited = iota
		inProgress
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(p *Process) error
	visit = func(p *Process) error {
		state[p.Name] = inProgress
		stack = append(stack, p.Name)
		for _, d := range p.Depends {
			switch state[d] {
			case inProgress:
				start := 0
				for i, n := range stack {
					if n == d {
						start = i
					}
				}
				cycle := append(append([]string{}, stack[start:]...), d)
				return &Error{File: pf.File, Line: p.KeyLine("depends"),
					Msg: "dependency cycle: " + strings.Join(cycle, " -> ")}
			case unvisited:
				if err := visit(pf.Lookup(d)); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[p.Name] = done
		return nil
	}
	for _, p := range pf.Processes {
		if state[p.Name] == unvisited {
			if err := visit(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateOneshot rejects combinations that cannot mean anything: a task
// that runs to completion cannot be restarted forever nor own a port check.
func validateOneshot(pf *Procfile) error {
	for _, p := range pf.Processes {
		if !p.Oneshot {
			continue
		}
		if p.Restart == RestartAlways {
			return &Error{File: pf.File, Line: p.KeyLine("restart"),
				Msg: fmt.Sprintf("%s is oneshot: restart=always would run it forever (use on-failure or no)", p.Name)}
		}
		if p.Health != "" {
			return &Error{File: pf.File, Line: p.KeyLine("health"),
				Msg: fmt.Sprintf("%s is oneshot: it is ready when it exits 0, a health check does not apply", p.Name)}
		}
	}
	return nil
}
