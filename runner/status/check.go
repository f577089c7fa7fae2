package status

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/life"
)

// CheckProcess is one process in `check --json`; its fields are an
// interface other tools rely on.
type CheckProcess struct {
	Name      string   `json:"name"`
	Command   string   `json:"command"`
	Line      int      `json:"line"`
	Port      int      `json:"port"`
	PortOwned bool     `json:"port_owned"`
	Depends   []string `json:"depends"`
	Health    string   `json:"health"`
	TimeoutMS int64    `json:"timeout_ms"`
	DelayMS   int64    `json:"delay_ms"`
	Optional  bool     `json:"optional"`
	Oneshot   bool     `json:"oneshot"`
	Dir       string   `json:"dir"`
	Restart   string   `json:"restart"`
	Signal    string   `json:"signal"`
	GraceMS   int64    `json:"grace_ms"`
	Instances int      `json:"instances"`
	// PulledInBy is the process whose depends= runs this one, which -m
	// does not name.
	PulledInBy string `json:"pulled_in_by,omitempty"`
}

// Check is `check`: the plan as it would run, before anything runs.
type Check struct {
	Procfile   string         `json:"procfile"`
	Processes  []CheckProcess `json:"processes"`
	StartOrder []string       `json:"start_order"`
	// StartGroups are the processes that start together, in turn.
	StartGroups [][]string         `json:"start_groups"`
	Warnings    []procfile.Warning `json:"warnings"`
}

// BuildCheck is the check report of plan.
func BuildCheck(plan *procfile.Plan) Check {
	rep := Check{Procfile: plan.Procfile.File, StartOrder: plan.StartOrder(), StartGroups: plan.StartGroups(), Warnings: plan.Procfile.Warnings}
	if rep.Warnings == nil {
		rep.Warnings = []procfile.Warning{}
	}
	for _, p := range plan.Selected {
		cp := CheckProcess{
			Name: p.Name, Command: p.Command, Line: p.Line, Depends: p.Depends,
			TimeoutMS: p.Timeout.Milliseconds(), DelayMS: p.Delay.Milliseconds(),
			Optional: p.Optional, Oneshot: p.Oneshot, Restart: p.Restart, Signal: p.Signal,
			Instances: plan.Count[p.Name], PulledInBy: plan.PulledBy[p.Name],
		}
		if cp.Depends == nil {
			cp.Depends = []string{}
		}
		// A process left out by the formation still has a plan for its
		// first instance: resolve it for the report alone.
		first := plan.InstancesOf(p.Name)
		var in *procfile.Instance
		if len(first) > 0 {
			in = first[0]
		} else {
			in = procfile.ResolveOne(plan, p)
		}
		if in != nil {
			cp.Port, cp.PortOwned = in.Port, in.PortOwned
			cp.Health = in.Check.String()
			cp.Dir = in.Dir
			cp.GraceMS = in.Grace.Milliseconds()
		}
		rep.Processes = append(rep.Processes, cp)
	}
	return rep
}

// PrintCheck writes rep as `check` prints it: the start order, a table
// of the processes, and which ones -m pulls in.
func PrintCheck(out io.Writer, rep Check) {
	groups := make([]string, len(rep.StartGroups))
	for i, g := range rep.StartGroups {
		groups[i] = strings.Join(g, ", ")
	}
	fmt.Fprintf(out, "%s: %s, start order: %s\n\n", rep.Procfile, life.Count(len(rep.Processes), "process"), strings.Join(groups, " → "))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPORT\tDEPENDS\tCHECK\tTIMEOUT\tFLAGS\tCOMMAND")
	for _, p := range rep.Processes {
		port := fmt.Sprint(p.Port)
		if p.PortOwned {
			port += " (owned)"
		}
		var flags []string
		if p.Optional {
			flags = append(flags, "optional")
		}
		if p.Oneshot {
			flags = append(flags, "oneshot")
		}
		if p.Instances != 1 {
			flags = append(flags, fmt.Sprintf("×%d", p.Instances))
		}
		if p.Restart != procfile.RestartNo {
			flags = append(flags, "restart="+p.Restart)
		}
		check := p.Health
		if check == "" {
			check = "-"
		}
		deps := strings.Join(p.Depends, ",")
		if deps == "" {
			deps = "-"
		}
		cmdText := p.Command
		if len(cmdText) > 60 {
			cmdText = cmdText[:57] + "..."
		}
		timeout := time.Duration(p.TimeoutMS) * time.Millisecond
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, port, deps, check, timeout, strings.Join(flags, ","), cmdText)
	}
	tw.Flush()
	sep := "\n"
	for _, p := range rep.Processes {
		if p.PulledInBy != "" {
			fmt.Fprintf(out, "%s%s runs once although -m does not name it: %s depends on it\n", sep, p.Name, p.PulledInBy)
			sep = ""
		}
	}
}
