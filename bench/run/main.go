//go:build linux

// Command run measures hiverun against its baselines (SPEC items: boot,
// spawn, stop, output) and prints a table of medians:
//
//	go run ./bench/run [-n 5]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hiverun/hiverun/bench"
)

func main() {
	runs := flag.Int("n", 5, "runs of each measurement (the median is shown)")
	flag.StringVar(&only, "only", "", "run only these measurements: a comma list of boot, spawn, stop, output")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// only names the measurements to run; empty runs them all.
var only string

func wanted(name string) bool {
	if only == "" {
		return true
	}
	for _, w := range strings.Split(only, ",") {
		if strings.TrimSpace(w) == name {
			return true
		}
	}
	return false
}

func run(n int) error {
	tmp, err := os.MkdirTemp("", "hiverun-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	root, _ := filepath.Abs(".")
	bin, err := bench.Build(root, tmp)
	if err != nil {
		return err
	}
	fmt.Printf("%-44s %10s %10s %7s %s\n", "measure (median of "+fmt.Sprint(n)+")", "hiverun", "baseline", "ratio", "notes")

	for _, m := range []struct {
		name string
		fn   func(bin string, n int) error
	}{{"boot", boot}, {"spawn", spawn}, {"stop", stop}, {"output", output}} {
		if !wanted(m.name) {
			continue
		}
		if err := m.fn(bin, n); err != nil {
			return err
		}
	}
	return nil
}

func boot(bin string, n int) error {
	var hv, bl, gaps []time.Duration
	for i := 0; i < n; i++ {
		r, err := bench.Boot(bin, 5, 31000+i*10)
		if err != nil {
			return err
		}
		hv, bl, gaps = append(hv, r.Hiverun), append(bl, r.Baseline), append(gaps, r.MaxGap)
	}
	row("1. boot: chain of 5, 200ms each", hv, bl, fmt.Sprintf("max dependency→start gap %s (worst run %s)", ms(bench.Median(gaps)), ms(maxOf(gaps))))
	return nil
}

func spawn(bin string, n int) error {
	var hv, bl, hvAll, blAll, gl []time.Duration
	var comms map[string]int
	for i := 0; i < n; i++ {
		r, err := bench.Spawn(bin, 100)
		if err != nil {
			return err
		}
		hv, bl, gl, comms = append(hv, r.Hiverun), append(bl, r.Baseline), append(gl, r.GoLoop), r.Comms
		hvAll, blAll = append(hvAll, r.HiverunAll), append(blAll, r.BaselineAll)
	}
	if bench.Median(blAll) > 0 {
		row("2. spawn: 100 sleeps all running", hvAll, blAll, "until the 100th has exec'd, by the kernel's process events, for both")
	} else {
		fmt.Println("2. spawn: process events not heard (needs CAP_NET_ADMIN): all running not measured")
	}
	row("   spawn: hiverun's ready line, shell's exit", hv, bl, fmt.Sprintf("plain Go exec loop %s (hiverun %.2fx of it); processes: %v",
		ms(bench.Median(gl)), bench.Ratio(bench.Median(hv), bench.Median(gl)), comms))
	return nil
}

func stop(bin string, n int) error {
	var exits []time.Duration
	left := 0
	for i := 0; i < n; i++ {
		r, err := bench.Stop(bin, 20)
		if err != nil {
			return err
		}
		exits = append(exits, r.Exit)
		left += len(r.Left)
	}
	fmt.Printf("%-44s %10s %10s %7s %s\n", "3. stop: Ctrl-C, 20 procs + grandchildren", ms(bench.Median(exits)), "-", "-", fmt.Sprintf("worst %s; left alive: %d", ms(maxOf(exits)), left))
	return nil
}

func output(bin string, n int) error {
	var hv, bl []time.Duration
	lines := 0
	for i := 0; i < n; i++ {
		r, err := bench.Output(bin, 200000)
		if err != nil {
			return err
		}
		hv, bl, lines = append(hv, r.Hiverun), append(bl, r.Baseline), r.Lines
	}
	row("4. output: 200,000 lines of 100 B to a file", hv, bl, fmt.Sprintf("baseline: producer | cat > file; lines arrived: %d", lines))
	return nil
}

func row(name string, hv, bl []time.Duration, note string) {
	h, b := bench.Median(hv), bench.Median(bl)
	fmt.Printf("%-44s %10s %10s %6.2fx %s\n", name, ms(h), ms(b), bench.Ratio(h, b), note)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
