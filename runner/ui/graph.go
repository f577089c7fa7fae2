package ui

import (
	"bufio"
	"fmt"
	"io"
	"sort"
)

// Graph geometry: a column per dependency depth, left to right.
const (
	gNodeW = 170
	gNodeH = 24
	gColW  = 210
	gRowH  = 34
	gPad   = 12
)

// Graph draws the dependency graph of ps as SVG: what an instance waits
// for is to its left, an arrow from each dependency to it. Nodes carry
// class "node st-STATE" and data-name, so the page recolours them as
// states change without drawing again; it has no <style> of its own,
// the page styles it.
func Graph(w io.Writer, ps []Process) error {
	bw := bufio.NewWriter(w)
	index := map[string]int{}
	for i, p := range ps {
		index[p.Name] = i
	}
	depth := make([]int, len(ps))
	for i := range depth {
		depth[i] = -1
	}
	var visit func(i int, seen map[int]bool) int
	visit = func(i int, seen map[int]bool) int {
		if depth[i] >= 0 {
			return depth[i]
		}
		if seen[i] {
			return 0 // a cycle cannot pass the Procfile's checks; do not loop on one
		}
		seen[i] = true
		d := 0
		for _, dep := range ps[i].Deps {
			if j, ok := index[dep]; ok {
				d = max(d, visit(j, seen)+1)
			}
		}
		depth[i] = d
		return d
	}
	cols := map[int][]int{}
	maxDepth := 0
	for i := range ps {
		d := visit(i, map[int]bool{})
		cols[d] = append(cols[d], i)
		maxDepth = max(maxDepth, d)
	}
	pos := make([][2]int, len(ps))
	rows := 1
	for d := 0; d <= maxDepth; d++ {
		sort.SliceStable(cols[d], func(a, b int) bool { return ps[cols[d][a]].Name < ps[cols[d][b]].Name })
		for r, i := range cols[d] {
			pos[i] = [2]int{gPad + d*gColW, gPad + r*gRowH}
		}
		rows = max(rows, len(cols[d]))
	}
	width := gPad*2 + maxDepth*gColW + gNodeW
	height := gPad*2 + (rows-1)*gRowH + gNodeH
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" class="hiverun-graph" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", width, height, width, height)
	fmt.Fprintln(bw, `<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0L8 4L0 8z" class="arrowhead"/></marker></defs>`)
	for i, p := range ps {
		for _, dep := range p.Deps {
			j, ok := index[dep]
			if !ok {
				continue
			}
			x0, y0 := pos[j][0]+gNodeW, pos[j][1]+gNodeH/2
			x1, y1 := pos[i][0], pos[i][1]+gNodeH/2
			mx := (x0 + x1) / 2
			fmt.Fprintf(bw, `<path class="edge" data-from="%s" data-to="%s" d="M%d %d C%d %d %d %d %d %d" marker-end="url(#arrow)"/>`+"\n",
				esc(dep), esc(p.Name), x0, y0, mx, y0, mx, y1, x1, y1)
		}
	}
	for i, p := range ps {
		x, y := pos[i][0], pos[i][1]
		fmt.Fprintf(bw, `<g class="node st-%s" data-name="%s"><title>%s: %s</title>`, esc(p.State), esc(p.Name), esc(p.Name), esc(p.State))
		fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%d" height="%d" rx="5"/>`, x, y, gNodeW, gNodeH)
		fmt.Fprintf(bw, `<text x="%d" y="%d">%s</text></g>`+"\n", x+8, y+16, esc(truncate(p.Name, 24)))
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}
