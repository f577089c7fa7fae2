package detach

import (
	"encoding/json"
	"os"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/logs"
	"github.com/hiverun/hiverun/runner/state"
)

// bootReport is `up --detach --report FILE`.
type bootReport struct {
	OK           bool            `json:"ok"`
	BootMS       int64           `json:"boot_ms"`
	CriticalPath []string        `json:"critical_path"`
	Processes    []reportProcess `json:"processes"`
	Failure      *reportFailure  `json:"failure,omitempty"`
}

type reportProcess struct {
	Name       string `json:"name"`
	Started    bool   `json:"started"`
	Ready      bool   `json:"ready"`
	DurationMS int64  `json:"duration_ms"`
	Check      string `json:"check"`
}

type reportFailure struct {
	Process   string   `json:"process"`
	Reason    string   `json:"reason"`
	LastLines []string `json:"last_lines"`
}

func writeReportFrom(path string, dir *state.Dir, plan *procfile.Plan, st *state.Startup) error {
	mem, err := dir.LoadMemory()
	if err != nil {
		return err
	}
	rep := buildBootReport(plan, mem, st)
	if st.Result.Outcome != life.BootReady {
		failed := failedInstances(plan, st)
		rep.Failure = &reportFailure{Process: failedName(st), Reason: failureText(st, failed)}
		for _, in := range failed {
			rep.Failure.LastLines = logs.LastLinesSince(dir.Path+"/logs/"+in.Name+".log", 20, st.At)
		}
	}
	return saveReport(path, rep)
}

func writeReport(path string, plan *procfile.Plan, mem *state.Memory, st *state.Startup) error {
	return saveReport(path, buildBootReport(plan, mem, st))
}

func buildBootReport(plan *procfile.Plan, mem *state.Memory, st *state.Startup) bootReport {
	rep := bootReport{OK: st.Result.Outcome == life.BootReady, BootMS: st.BootMS, CriticalPath: st.CriticalPath, Processes: []reportProcess{}}
	for _, in := range plan.Instances {
		p := reportProcess{Name: in.Name, Check: in.Check.String()}
		if rec := mem.Lookup(in.Name); rec != nil {
			p.Started = rec.StartedAt != nil
		}
		if ms, ok := st.ReadyMS[in.Name]; ok {
			p.Ready, p.DurationMS = true, ms
		}
		rep.Processes = append(rep.Processes, p)
	}
	return rep
}

func saveReport(path string, rep bootReport) error {
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
