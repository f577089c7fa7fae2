package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBackend is a stack whose state a test sets.
type fakeBackend struct {
	mu        sync.Mutex
	version   int
	procs     []Process
	acts      []string
	snapshots atomic.Int64
}

func (f *fakeBackend) Version() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprint(f.version)
}

func (f *fakeBackend) Snapshot() (Snapshot, error) {
	f.snapshots.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return Snapshot{Supervisor: "pid 1", Alive: true, Processes: append([]Process(nil), f.procs...)}, nil
}

func (f *fakeBackend) Boot() (Boot, []time.Duration, bool, error) {
	return hundred(), []time.Duration{time.Second}, true, nil
}

func (f *fakeBackend) Output(name string, cursor int64, max int) ([]Line, int64, error) {
	if cursor >= 3 {
		return nil, cursor, nil
	}
	return []Line{{Text: name + " line " + fmt.Sprint(cursor)}}, cursor + 1, nil
}

func (f *fakeBackend) act(s string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acts = append(f.acts, s)
	return "did " + s, nil
}

func (f *fakeBackend) Restart(name string) (string, error) { return f.act("restart " + name) }
func (f *fakeBackend) Stop(name string) (string, error)    { return f.act("stop " + name) }
func (f *fakeBackend) StopStack() (string, error)          { return f.act("stop-stack") }

func (f *fakeBackend) set(name, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.procs {
		if f.procs[i].Name == name {
			f.procs[i].State = state
		}
	}
	f.version++
}

func startServer(t *testing.T, b Backend, o Options) (*Server, string) {
	t.Helper()
	s, err := New(b, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	base, _, err := ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	return s, base
}

func request(t *testing.T, method, url string, hdr map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestServerRefuses(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, &fakeBackend{}, Options{})
	tok := map[string]string{"X-Hiverun-Token": s.token}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"X-Hiverun-Token": s.token}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		want   int
	}{
		{"no token", "GET", "/", nil, 401},
		{"no token on the stream", "GET", "/events", nil, 401},
		{"wrong token", "GET", "/", map[string]string{"X-Hiverun-Token": "nope"}, 401},
		{"wrong token in the URL", "GET", "/?token=nope", nil, 401},
		{"token", "GET", "/", tok, 200},
		{"wrong Host (DNS rebinding)", "GET", "/", with(map[string]string{"Host": fmt.Sprintf("evil.example:%d", s.Port())}), 403},
		{"wrong port in Host", "GET", "/", with(map[string]string{"Host": "127.0.0.1:1"}), 403},
		{"foreign Origin", "GET", "/api/table", with(map[string]string{"Origin": "http://evil.example"}), 403},
		{"foreign Origin POST", "POST", "/api/stop-stack", with(map[string]string{"Origin": "http://evil.example"}), 403},
		{"null Origin", "POST", "/api/stop-stack", with(map[string]string{"Origin": "null"}), 403},
		{"cross-site fetch", "GET", "/api/table", with(map[string]string{"Sec-Fetch-Site": "cross-site"}), 403},
		{"action by GET", "GET", "/api/stop-stack", tok, 405},
		{"localhost is this server too", "GET", "/", with(map[string]string{"Host": fmt.Sprintf("localhost:%d", s.Port())}), 200},
		{"own Origin", "GET", "/api/table", with(map[string]string{"Origin": base}), 200},
	}
	for _, c := range cases {
		resp := request(t, c.method, base+c.path, c.hdr, "")
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s %s: %d, want %d", c.name, c.method, c.path, resp.StatusCode, c.want)
		}
	}
	// A POST from a browser carries the cookie and Origin; one with the
	// cookie and no Origin is refused (a form or a script elsewhere).
	cookie := map[string]string{"Cookie": s.cookieName() + "=" + s.token}
	if r := request(t, "POST", base+"/api/stop-stack", cookie, ""); r.StatusCode != 403 {
		t.Errorf("POST with the cookie, no Origin: %d", r.StatusCode)
	}
}

func TestServerTokenBecomesCookie(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, &fakeBackend{}, Options{})
	resp := request(t, "GET", s.URL(), nil, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("first visit: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		c = k
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie: %+v", c)
	}
	page := request(t, "GET", base+"/", map[string]string{"Cookie": c.Name + "=" + c.Value}, "")
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != 200 || !strings.Contains(string(body), "/static/app.js") {
		t.Fatalf("page: %d %s", page.StatusCode, body)
	}
	for _, asset := range []string{"/static/app.js", "/static/style.css", "/waterfall.svg", "/graph.svg"} {
		if r := request(t, "GET", base+asset, map[string]string{"Cookie": c.Name + "=" + c.Value}, ""); r.StatusCode != 200 {
			t.Errorf("%s: %d", asset, r.StatusCode)
		}
	}
}

func TestServerActions(t *testing.T) {
	t.Parallel()
	b := &fakeBackend{}
	s, base := startServer(t, b, Options{})
	hdr := map[string]string{"Cookie": s.cookieName() + "=" + s.token, "Origin": base}
	for _, a := range []struct{ path, body, want string }{
		{"/api/restart", "name=web", "restart web"},
		{"/api/stop", "name=web.2", "stop web.2"},
		{"/api/stop-stack", "", "stop-stack"},
	} {
		resp := request(t, "POST", base+a.path, hdr, a.body)
		var j struct {
			OK      bool
			Message string
		}
		json.NewDecoder(resp.Body).Decode(&j)
		if resp.StatusCode != 200 || !j.OK || j.Message != "did "+a.want {
			t.Errorf("%s: %d %+v", a.path, resp.StatusCode, j)
		}
	}
}

// events reads an event stream, sending each event on a channel.
type event struct{ name, data string }

func readEvents(t *testing.T, resp *http.Response) <-chan event {
	ch := make(chan event, 64)
	go func() {
		defer close(ch)
		r := bufio.NewReader(resp.Body)
		var ev event
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			case line == "" && ev.name != "":
				ch <- ev
				ev = event{}
			}
		}
	}()
	return ch
}

func waitEvent(t *testing.T, ch <-chan event, limit time.Duration, ok func(event) bool) event {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case ev, open := <-ch:
			if !open {
				t.Fatal("the stream ended")
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no such event within %s", limit)
		}
	}
}

func stateOf(data, name string) string {
	var snap Snapshot
	json.Unmarshal([]byte(data), &snap)
	for _, p := range snap.Processes {
		if p.Name == name {
			return p.State
		}
	}
	return ""
}

// TestServerEventsAndLeaks: a state change reaches an open stream within
// a second; with no page open nothing is polled; closing the page leaves
// no goroutine behind.
func TestServerEventsAndLeaks(t *testing.T) {
	b := &fakeBackend{procs: []Process{{Name: "web.1", State: "ready"}, {Name: "db.1", State: "ready"}}}
	before := runtime.NumGoroutine()
	s, base := startServer(t, b, Options{UsageEvery: time.Hour})
	time.Sleep(300 * time.Millisecond)
	if n := b.snapshots.Load(); n != 0 {
		t.Fatalf("%d snapshots taken with no page open", n)
	}
	hdr := map[string]string{"Cookie": s.cookieName() + "=" + s.token}
	for round := 0; round < 3; round++ {
		resp := request(t, "GET", base+"/events", hdr, "")
		evs := readEvents(t, resp)
		waitEvent(t, evs, 2*time.Second, func(e event) bool { return e.name == "table" && stateOf(e.data, "web.1") != "" })
		out := request(t, "GET", base+"/output?name=web.1", hdr, "")
		lines := readEvents(t, out)
		waitEvent(t, lines, 2*time.Second, func(e event) bool { return e.name == "lines" && strings.Contains(e.data, "web.1 line 0") })

		want := []string{"starting", "ready"}[round%2]
		changed := time.Now()
		b.set("web.1", want)
		waitEvent(t, evs, time.Second, func(e event) bool { return e.name == "table" && stateOf(e.data, "web.1") == want })
		t.Logf("round %d: the change reached the page in %s", round, time.Since(changed))
		resp.Body.Close()
		out.Body.Close()
	}
	// Closing the page ends its streams, and with them the poller.
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before+3 && time.Now().Before(deadline) {
		http.DefaultClient.CloseIdleConnections()
		time.Sleep(20 * time.Millisecond)
	}
	after := runtime.NumGoroutine()
	s.hub.mu.Lock()
	polling := s.hub.stop != nil
	s.hub.mu.Unlock()
	if polling {
		t.Error("still polling with no page open")
	}
	// Serve's own goroutines (listener, shutdown watcher) are allowed.
	if after > before+3 {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: %d before, %d after the page closed\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	n := b.snapshots.Load()
	time.Sleep(600 * time.Millisecond)
	if m := b.snapshots.Load(); m != n {
		t.Errorf("%d snapshots taken after the page closed", m-n)
	}
}

func TestGraph(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	ps := []Process{{Name: "web.1", State: "ready", Deps: []string{"db.1", "cache.1"}}, {Name: "db.1", State: "starting"}, {Name: "cache.1", State: "failed"}, {Name: "<x>", State: "ready", Deps: []string{"web.1"}}}
	if err := Graph(&buf, ps); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	parseSVG(t, []byte(s))
	if strings.Count(s, `class="edge"`) != 3 || !strings.Contains(s, `class="node st-failed" data-name="cache.1"`) || strings.Contains(s, "<x>") {
		t.Fatalf("graph:\n%s", s)
	}
}
