package status

import (
	"encoding/json"
	"io"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/state"
)

// CheckCommand is `hiverun check`: plan's report on out, as text (the
// Procfile's warnings on errw, unless strict) or one JSON object. With
// strict, the first warning is an error of its line.
func CheckCommand(out, errw io.Writer, plan *procfile.Plan, asJSON, strict bool) error {
	rep := BuildCheck(plan)
	if asJSON {
		if err := PrintJSON(out, rep); err != nil {
			return err
		}
	} else {
		if !strict {
			plan.Procfile.PrintWarnings(errw)
		}
		PrintCheck(out, rep)
	}
	if strict && len(rep.Warnings) > 0 {
		w := rep.Warnings[0]
		return &procfile.Error{File: plan.Procfile.File, Line: w.Line, Msg: "--strict: " + w.Message}
	}
	return nil
}

// StatusCommand is `hiverun status` on dir (nil when nothing ran here):
// the report on out, as a table or one JSON object, and exit 1 unless
// the stack is OK, so that scripts can wait on it.
func StatusCommand(out io.Writer, dir *state.Dir, asJSON bool) error {
	rep, err := Build(dir)
	if err != nil {
		return err
	}
	if asJSON {
		if err := PrintJSON(out, rep); err != nil {
			return err
		}
	} else {
		Print(out, rep)
	}
	if !rep.OK {
		return &exitcode.Code{Code: exitcode.Failed}
	}
	return nil
}

// PrintJSON writes v as one indented JSON object: every --json output.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// HistoryCommand is `hiverun history` on dir (nil when nothing ran
// here): past startups on out, as a table or one JSON object. draw, when
// not nil, replaces the report (--svg: the waterfall is runner/ui's,
// which imports this package); memory.json is read first either way, so
// that a corrupt one is reported and set aside as by every command.
func HistoryCommand(out io.Writer, dir *state.Dir, asJSON bool, draw func() error) error {
	var mem *state.Memory
	if dir != nil {
		var err error
		if mem, err = dir.LoadMemory(); err != nil {
			return err
		}
	}
	if draw != nil {
		return draw()
	}
	rep := BuildHistory(mem)
	if asJSON {
		return PrintJSON(out, rep)
	}
	PrintHistory(out, rep)
	return nil
}
