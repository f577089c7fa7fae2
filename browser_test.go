//go:build linux

package main_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUIInBrowser: a real headless Chromium opens the dashboard of a
// running stack from the address `hiverun ui` printed, finds every
// process in the table, the waterfall, the graph and the output; sees a
// process go through starting and back to ready with a new pid after
// `hiverun restart` in another terminal, without a reload; and its
// screenshot is not blank.
func TestUIInBrowser(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	port := portBase(t, 7)
	dir := project(t, uiStack(port, 8))
	upStack(t, dir, "uibrowser")
	u := startUI(t, dir)
	tb := u.table(t)
	var names []string
	for _, p := range tb.Processes {
		names = append(names, p.Name)
	}
	if len(names) != 8 {
		t.Fatalf("the stack: %v", names)
	}

	b := startBrowser(t, 1400, 1500)
	b.navigate(t, u.url)
	list := `["` + strings.Join(names, `","`) + `"]`
	b.waitFor(t, "every process in the table", `(() => {
		const rows = new Set(Array.from(document.querySelectorAll("#processes tbody tr")).map((r) => r.dataset.name));
		return `+list+`.every((n) => rows.has(n));
	})()`, 10*time.Second)
	var url string
	b.eval(t, "location.href", &url)
	if strings.Contains(url, "token") {
		t.Errorf("the token stays in the address bar: %s", url)
	}
	b.waitFor(t, "web's port is a link", `document.querySelector('tr[data-name="web.1"] a[href="http://127.0.0.1:`+fmt.Sprint(port)+`/"]')`, 5*time.Second)
	b.waitFor(t, "the boot waterfall", `document.querySelector("#waterfall-box object")`, 10*time.Second)
	b.waitFor(t, "the dependency graph", fmt.Sprintf(`document.querySelectorAll("#graph .node").length === %d && document.querySelector('#graph .node[data-name="web.1"]').classList.contains("st-ready")`, len(names)), 10*time.Second)
	b.eval(t, `document.querySelector("#output-name").value = "slow.1"; document.querySelector("#output-name").dispatchEvent(new Event("change")); true`, nil)
	b.waitFor(t, "slow's output", `document.querySelector("#output").textContent.includes("slow up")`, 10*time.Second)
	b.eval(t, `document.querySelector("#filter").value = "nothing matches this"; document.querySelector("#filter").dispatchEvent(new Event("input")); true`, nil)
	b.waitFor(t, "the filter hides lines", `document.querySelectorAll("#output .line:not(.hidden)").length === 0`, 5*time.Second)

	// Mark this page, and record every state slow.1 shows from now on.
	b.eval(t, `window.__samePage = true; window.__seen = [];
		new MutationObserver(() => {
			const s = document.querySelector('tr[data-name="slow.1"] .state');
			if (s && window.__seen[window.__seen.length - 1] !== s.textContent) window.__seen.push(s.textContent);
		}).observe(document.querySelector("#processes tbody"), {subtree: true, childList: true, characterData: true}); true`, nil)
	var pidBefore string
	b.eval(t, `document.querySelector('tr[data-name="slow.1"] td:nth-child(3)').textContent`, &pidBefore)
	restarted := make(chan string, 1)
	go func() {
		out, err := exec.Command(bin, "--root", dir, "restart", "slow").CombinedOutput()
		restarted <- fmt.Sprintf("%s %v", out, err)
	}()
	b.waitFor(t, "slow.1 seen starting", `window.__seen.includes("starting")`, 10*time.Second)
	b.waitFor(t, "slow.1 ready again with a new pid", `(() => {
		const tr = document.querySelector('tr[data-name="slow.1"]');
		return tr.querySelector(".state").textContent === "ready" && tr.children[2].textContent !== "`+pidBefore+`";
	})()`, 15*time.Second)
	if r := <-restarted; !strings.Contains(r, "restarted slow") {
		t.Fatalf("hiverun restart slow: %s", r)
	}
	var same bool
	b.eval(t, "window.__samePage === true", &same)
	if !same {
		t.Fatal("the page reloaded")
	}
	b.waitFor(t, "the graph recoloured", `document.querySelector('#graph .node[data-name="slow.1"]').classList.contains("st-ready")`, 5*time.Second)

	b.eval(t, `document.querySelector("#filter").value = ""; document.querySelector("#filter").dispatchEvent(new Event("input")); true`, nil)
	// The waterfall object loads its own document; give it a moment.
	time.Sleep(500 * time.Millisecond)
	shot := b.screenshot(t)
	if err := notBlank(shot); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("HIVERUN_DOCS_OUT"); out != "" {
		// How docs/dashboard.png is made.
		if err := os.WriteFile(filepath.Join(out, "dashboard.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// notBlank tells a screenshot of a page from one of nothing: many
// colours, and a good share of pixels off the background.
func notBlank(data []byte) error {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return err
	}
	bounds := img.Bounds()
	colors := map[[3]uint32]int{}
	total := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 3 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			colors[[3]uint32{r >> 8, g >> 8, b >> 8}]++
			total++
		}
	}
	most := 0
	for _, n := range colors {
		most = max(most, n)
	}
	if len(colors) < 20 || float64(total-most) < 0.05*float64(total) {
		return fmt.Errorf("the screenshot looks blank: %d colours, %d of %d pixels off the background (%v)", len(colors), total-most, total, image.Rect(0, 0, bounds.Dx(), bounds.Dy()))
	}
	return nil
}
