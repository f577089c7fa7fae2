package status

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hiverun/hiverun/runner/life"
	"github.com/hiverun/hiverun/runner/state"
)

// History is `history`: the startups memory.json keeps, and totals.
type History struct {
	Startups []HistoryStartup `json:"startups"`
	Totals   HistoryTotals    `json:"totals"`
}

// HistoryStartup is a startup as history --json has always shown it: the
// result as one line of text (memory.json keeps it typed).
type HistoryStartup struct {
	*state.Startup
	Result string `json:"result"`
}

// HistoryTotals are the counts memory.json keeps and what history
// derives from the startups: boot percentiles, the slowest process and its
// trend.
type HistoryTotals struct {
	state.Totals
	MedianBootMS int64  `json:"median_boot_ms"`
	P95BootMS    int64  `json:"p95_boot_ms"`
	Slowest      string `json:"slowest_process"`
	SlowestMS    int64  `json:"slowest_median_ms"`
	Trend        string `json:"slowest_trend"`
}

// BuildHistory is the history of mem; nil mem is a folder where nothing
// has run.
func BuildHistory(mem *state.Memory) History {
	if mem == nil {
		return History{Startups: []HistoryStartup{}}
	}
	rep := History{Startups: []HistoryStartup{}, Totals: HistoryTotals{Totals: mem.Totals}}
	for _, st := range mem.Startups {
		rep.Startups = append(rep.Startups, HistoryStartup{Startup: st, Result: st.Result.String()})
	}
	var boots []int64
	per := map[string][]int64{} // process -> ready ms, in startup order
	for _, st := range mem.Startups {
		if st.Result.Outcome == life.BootReady {
			boots = append(boots, st.BootMS)
		}
		for name, ms := range st.ReadyMS {
			per[name] = append(per[name], ms)
		}
	}
	rep.Totals.MedianBootMS, rep.Totals.P95BootMS = percentile(boots, 50), percentile(boots, 95)
	for name, xs := range per {
		if m := percentile(xs, 50); m > rep.Totals.SlowestMS || rep.Totals.Slowest == "" {
			rep.Totals.Slowest, rep.Totals.SlowestMS = name, m
		}
	}
	if xs := per[rep.Totals.Slowest]; len(xs) >= 4 {
		// The last half of the kept boots against the first half.
		h := len(xs) / 2
		before, after := mean(xs[:h]), mean(xs[h:])
		if before > 0 {
			rep.Totals.Trend = fmt.Sprintf("%+.0f%%", 100*(after-before)/before)
		}
	}
	return rep
}

func percentile(xs []int64, p int) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]int64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i]
}

func mean(xs []int64) float64 {
	var t int64
	for _, x := range xs {
		t += x
	}
	return float64(t) / float64(len(xs))
}

// PrintHistory writes rep as the `history` table and its totals line.
func PrintHistory(out io.Writer, rep History) {
	if len(rep.Startups) == 0 {
		fmt.Fprintln(out, "no startups recorded here yet")
		return
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tSELECTION\tBOOT\tRESULT\tRECLAIMED\tCRITICAL PATH")
	for _, st := range rep.Startups {
		sel := strings.Join(st.Selection, ",")
		if sel == "" {
			sel = "all"
		}
		var path []string
		for _, n := range st.CriticalPath {
			path = append(path, fmt.Sprintf("%s %.2fs", n, float64(st.ReadyMS[n])/1000))
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2fs\t%s\t%d\t%s\n", st.At.Local().Format("2006-01-02 15:04:05"), sel,
			float64(st.BootMS)/1000, st.Result, st.Reclaimed, strings.Join(path, " → "))
	}
	tw.Flush()
	t := rep.Totals
	fmt.Fprintf(out, "\n%s (%d ready, %d failed), %s reclaimed; boot median %.2fs, p95 %.2fs",
		life.Count(t.Startups, "startup"), t.Ready, t.Failed, life.Count(t.Reclaimed, "process"), float64(t.MedianBootMS)/1000, float64(t.P95BootMS)/1000)
	if t.Slowest != "" {
		fmt.Fprintf(out, "; slowest: %s (median %.2fs", t.Slowest, float64(t.SlowestMS)/1000)
		if t.Trend != "" {
			fmt.Fprintf(out, ", trend %s", t.Trend)
		}
		fmt.Fprint(out, ")")
	}
	fmt.Fprintln(out)
}
