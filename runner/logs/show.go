package logs

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fatih/color"

	"github.com/hiverun/hiverun/runner/exitcode"
	"github.com/hiverun/hiverun/runner/format"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// Options are how `hiverun logs` shows the logs.
type Options struct {
	Lines      int  // how many of the last lines to show
	Follow     bool // keep printing new lines until a signal or the stack stops
	Color      bool
	Timestamps bool
	// Index is each instance's place in the Procfile (from memory.json),
	// which gives it the colour the foreground gives it.
	Index map[string]int
}

// Show prints the logs of names (all when none) in the state folder dir
// (nil: no stack has run here), prefixed as hiverun prints them and
// merged in time order.
func Show(out io.Writer, dir *state.Dir, names []string, o Options) error {
	if o.Lines < 0 {
		return &exitcode.Usage{Msg: fmt.Sprintf("--lines %d: expected how many of the last lines to show, 0 or more", o.Lines)}
	}
	if dir == nil {
		return fmt.Errorf("no logs here: no stack has run in this folder")
	}
	if o.Index == nil {
		o.Index = colourIndex(dir)
	}
	// With no process log at all, the same explanation whether or not a
	// name was given: the stack ran in the foreground, or never detached.
	if files, _ := Files(dir, nil); len(files) == 0 {
		return fmt.Errorf("no logs here: only a detached stack (hiverun up --detach) keeps its output, in %s; a foreground stack's output went to its terminal, and hiverun's own events are in %s",
			filepath.Join(dir.Path, "logs"), filepath.Join(dir.Path, "hiverun.log"))
	}
	files, err := Files(dir, names)
	if err != nil {
		return err
	}
	p := newPrinter(out, files, o)
	offsets := map[string]int64{}
	p.print(p.tail(offsets))
	if !o.Follow {
		return nil
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, proc.StopSignals...)
	defer signal.Stop(sigs)
	for {
		select {
		case <-sigs:
			return nil
		case <-time.After(100 * time.Millisecond):
		}
		p.print(p.fresh(offsets))
		if held, _ := dir.Held(); !held {
			return nil
		}
	}
}

// printer writes merged lines with their prefixes.
type printer struct {
	o      Options
	w      *bufio.Writer
	files  map[string]string
	insts  []string // hiverun's own first, then by name
	disp   map[string]string
	width  int
	colors map[string]*color.Color
}

func newPrinter(out io.Writer, files map[string]string, o Options) *printer {
	p := &printer{o: o, w: bufio.NewWriter(out), files: files, disp: DisplayNames(files), colors: map[string]*color.Color{}}
	for inst := range files {
		p.width = max(p.width, len(p.disp[inst]))
		p.insts = append(p.insts, inst)
	}
	// hiverun's own lines first among lines of the same moment: its
	// "started" line comes before the process's first line.
	sort.Slice(p.insts, func(i, j int) bool {
		if self := SelfName; (p.insts[i] == self) != (p.insts[j] == self) {
			return p.insts[i] == self
		}
		return p.insts[i] < p.insts[j]
	})
	for _, inst := range p.insts {
		idx, ok := o.Index[inst]
		if !ok {
			idx = len(o.Index) // not recorded: a colour after the known ones
		}
		if inst == SelfName {
			idx = -1 // as the runner shows its own lines
		}
		p.colors[inst] = format.Color(idx)
	}
	return p
}

func (p *printer) print(ls []Line) {
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].At.Before(ls[j].At) })
	for _, l := range ls {
		var at time.Time
		if p.o.Timestamps {
			at = l.At.Local()
		}
		var c *color.Color
		if p.o.Color {
			c = p.colors[l.Name]
		}
		head := format.Head(format.Pad(p.disp[l.Name], p.width), at, c)
		fmt.Fprintf(p.w, "%s%s\n", head, l.Text)
	}
	p.w.Flush()
}

// tail is the last o.Lines lines of all the files, merged; offsets get
// where each file ends.
func (p *printer) tail(offsets map[string]int64) []Line {
	n := p.o.Lines
	var all []Line
	for _, inst := range p.insts {
		data, err := os.ReadFile(p.files[inst])
		if err != nil {
			continue
		}
		offsets[inst] = int64(len(data))
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		for _, l := range lines {
			if l != "" {
				all = append(all, ParseLine(inst, l))
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}

// fresh is the whole lines written since offsets, which move past them.
func (p *printer) fresh(offsets map[string]int64) []Line {
	var fresh []Line
	for _, inst := range p.insts {
		f, err := os.Open(p.files[inst])
		if err != nil {
			continue
		}
		fi, _ := f.Stat()
		if fi != nil && fi.Size() < offsets[inst] {
			offsets[inst] = 0 // rotated
		}
		f.Seek(offsets[inst], io.SeekStart)
		data, _ := io.ReadAll(f)
		f.Close()
		// Only whole lines; the rest is read next time.
		end := strings.LastIndexByte(string(data), '\n')
		if end < 0 {
			continue
		}
		offsets[inst] += int64(end + 1)
		for _, l := range strings.Split(string(data[:end]), "\n") {
			fresh = append(fresh, ParseLine(inst, l))
		}
	}
	return fresh
}

// colourIndex is each recorded instance's place in the Procfile. A memory
// written before the place was recorded gives every process 0: then the
// order of its records, which is the Procfile's, stands in.
func colourIndex(dir *state.Dir) map[string]int {
	idx := map[string]int{}
	mem, err := dir.LoadMemory()
	if err != nil {
		return idx
	}
	procs := map[string]int{}
	recorded := false
	for _, in := range mem.Instances {
		if _, seen := procs[in.Process]; !seen {
			procs[in.Process] = len(procs)
		}
		recorded = recorded || in.Index != 0
	}
	for _, in := range mem.Instances {
		idx[in.Name] = in.Index
		if !recorded {
			idx[in.Name] = procs[in.Process]
		}
	}
	return idx
}
