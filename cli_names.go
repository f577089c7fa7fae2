package main

import (
	"github.com/hiverun/hiverun/runner/status"
)

// knownProcesses checks names against the Procfile and the stack
// recorded here; neither is read when no name is given.
func (g *globals) knownProcesses(names []string) error {
	if len(names) == 0 {
		return nil
	}
	pf, err := g.cfg.Parse()
	if err != nil {
		pf = nil
	}
	var recorded []string
	if dir, err := g.openState(); err == nil && dir != nil {
		recorded = dir.RecordedProcesses()
	}
	return status.KnownNames(pf, recorded, names)
}
