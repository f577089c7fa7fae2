package main

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
	"github.com/spf13/cobra"

	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/proc"
	"github.com/hiverun/hiverun/runner/state"
)

// logLine is one stamped line of a process log.
type logLine struct {
	at   time.Time
	name string
	text string
}

func newLogsCmd(g *globals) *cobra.Command {
	var (
		follow bool
		n      int
	)
	cmd := &cobra.Command{
		Use:   "logs [-f] [-n N] [PROCESS...]",
		Short: "Show the output of a detached stack, merged in time order",
		Long: `Show what the processes of a detached stack (hiverun up --detach) wrote,
prefixed as hiverun prints it, merged in time order across processes, with
hiverun's own lines (started, ready, failed, stopping) under "hiverun". With
-f (--follow), keep following until Ctrl-C or the stack stops. Here -f means
follow: name another Procfile with --procfile.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.openState()
			if err != nil {
				return err
			}
			if dir == nil {
				return fmt.Errorf("no logs here: no stack has run in this folder")
			}
			if len(args) == 0 {
				if files, _ := logFiles(dir, nil); len(files) == 0 {
					return fmt.Errorf("no logs here: only a detached stack (hiverun up --detach) keeps its output, in %s; a foreground stack's output went to its terminal, and hiverun's own events are in %s",
						filepath.Join(dir.Path, "logs"), filepath.Join(dir.Path, "hiverun.log"))
				}
			}
			return showLogs(cmd.OutOrStdout(), g, dir, args, n, follow)
		},
	}
	// -f means follow here, as in tail and docker compose; main turns it
	// into --follow, since -f is also the common --procfile.
	cmd.Flags().BoolVar(&follow, "follow", false, "keep printing new lines (-f)")
	cmd.Flags().IntVarP(&n, "lines", "n", 100, "how many of the last lines to show")
	return cmd
}

// logFiles maps instance names to their log files, for names (process or
// instance names; all when empty).
func logFiles(dir *state.Dir, names []string) (map[string]string, error) {
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
			return nil, &usageError{Msg: fmt.Sprintf("no log of %q in %s", n, filepath.Join(dir.Path, "logs"))}
		}
	}
	return files, nil
}

func parseLogLine(name, l string) logLine {
	stamp, text, ok := strings.Cut(l, " ")
	t, err := time.Parse(runner.LogTimeFormat, stamp)
	if !ok || err != nil {
		return logLine{name: name, text: l}
	}
	return logLine{at: t, name: name, text: text}
}

// displayNames shows web for a single instance, web.1 and web.2 otherwise.
func displayNames(files map[string]string) map[string]string {
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

func showLogs(out io.Writer, g *globals, dir *state.Dir, names []string, n int, follow bool) error {
	files, err := logFiles(dir, names)
	if err != nil {
		return err
	}
	disp := displayNames(files)
	width := 0
	insts := make([]string, 0, len(files))
	for inst := range files {
		width = max(width, len(disp[inst]))
		insts = append(insts, inst)
	}
	// hiverun's own lines first among lines of the same moment: its
	// "started" line comes before the process's first line.
	sort.Slice(insts, func(i, j int) bool {
		if self := runner.SelfLogName; (insts[i] == self) != (insts[j] == self) {
			return insts[i] == self
		}
		return insts[i] < insts[j]
	})
	useColor := g.useColor(os.Stdout)
	colors := map[string]*color.Color{}
	palette := []color.Attribute{color.FgCyan, color.FgYellow, color.FgGreen, color.FgMagenta, color.FgBlue, color.FgHiCyan}
	for i, inst := range insts {
		c := color.New(palette[i%len(palette)])
		if inst == runner.SelfLogName {
			c = color.New(color.Bold) // as the runner shows its own lines
		}
		c.EnableColor()
		colors[inst] = c
	}
	w := bufio.NewWriter(out)
	print := func(ls []logLine) {
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].at.Before(ls[j].at) })
		for _, l := range ls {
			head := disp[l.name] + strings.Repeat(" ", width-len(disp[l.name])) + " |"
			if !g.noTimestamp && !l.at.IsZero() {
				head = l.at.Local().Format("15:04:05") + " " + head
			}
			if useColor {
				head = colors[l.name].Sprint(head)
			}
			fmt.Fprintf(w, "%s %s\n", head, l.text)
		}
		w.Flush()
	}

	offsets := map[string]int64{}
	var all []logLine
	for _, inst := range insts {
		data, err := os.ReadFile(files[inst])
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
				all = append(all, parseLogLine(inst, l))
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	if len(all) > n {
		all = all[len(all)-n:]
	}
	print(all)
	if !follow {
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
		var fresh []logLine
		for _, inst := range insts {
			f, err := os.Open(files[inst])
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
				fresh = append(fresh, parseLogLine(inst, l))
			}
		}
		print(fresh)
		if held, _ := dir.Held(); !held {
			return nil
		}
	}
}
