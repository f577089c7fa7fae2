package state

import (
	"encoding/json"
	"strings"
)

// RecordedProcesses are the processes memory.json and the pidfiles name,
// so that a command can accept the name of a process of the stack that
// runs here even when the Procfile no longer defines it. It reads them
// without LoadMemory, which would move a corrupt file aside before the
// command itself could say so.
func (d *Dir) RecordedProcesses() []string {
	var out []string
	if data, err := d.ReadFile("memory.json"); err == nil {
		var mem Memory
		if json.Unmarshal(data, &mem) == nil {
			for _, in := range mem.Instances {
				out = append(out, in.Process)
			}
		}
	}
	for _, pf := range d.ReadPids() {
		base, _, _ := strings.Cut(pf.Name, ".")
		out = append(out, base)
	}
	return out
}
