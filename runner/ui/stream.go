package ui

// The page's live parts: server-sent events for the table and each
// process's output, fed by one hub that watches the state.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// sse starts an event stream.
func sse(w http.ResponseWriter) (http.Flusher, bool) {
	f, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return nil, false
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	f.Flush()
	return f, true
}

func writeEvent(w http.ResponseWriter, f http.Flusher, event string, data []byte) error {
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	f.Flush()
	return nil
}

// events streams the table ("table", JSON) and the boot ("boot", a
// sequence number: fetch /waterfall.svg again) whenever they change.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	f, ok := sse(w)
	if !ok {
		return
	}
	ch := s.hub.subscribe()
	defer s.hub.unsubscribe(ch)
	var sentTable []byte
	sentBoot := -1
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		table, boot := s.hub.current()
		if table != nil && !bytes.Equal(table, sentTable) {
			if writeEvent(w, f, "table", table) != nil {
				return
			}
			sentTable = table
		}
		if boot != sentBoot {
			if writeEvent(w, f, "boot", []byte(strconv.Itoa(boot))) != nil {
				return
			}
			sentBoot = boot
		}
		select {
		case <-r.Context().Done():
			return
		case <-ch:
		case <-keep.C:
			// A comment keeps proxies and the browser from timing out.
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			f.Flush()
		}
	}
}

// output streams one process's output ("lines", a JSON array), from
// its last lines on.
func (s *Server) output(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		http.Error(w, "output of which process? ?name=", http.StatusBadRequest)
		return
	}
	f, ok := sse(w)
	if !ok {
		return
	}
	var cursor int64
	tick := time.NewTicker(s.opts.OutputEvery)
	defer tick.Stop()
	lastErr := ""
	for {
		lines, next, err := s.b.Output(name, cursor, 500)
		switch {
		case err != nil && err.Error() != lastErr:
			lastErr = err.Error()
			msg, _ := json.Marshal(lastErr)
			if writeEvent(w, f, "note", msg) != nil {
				return
			}
		case err == nil && len(lines) > 0:
			lastErr = ""
			data, _ := json.Marshal(lines)
			if writeEvent(w, f, "lines", data) != nil {
				return
			}
		}
		if err == nil {
			cursor = next
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// hub polls the backend while at least one page is open, and only then,
// and tells the pages' streams when something changed.
type hub struct {
	b          Backend
	poll       time.Duration
	usageEvery time.Duration

	mu      sync.Mutex
	clients map[chan struct{}]struct{}
	stop    chan struct{} // closed to end the poller; nil when none runs
	table   []byte
	bootKey string
	bootSeq int
}

func (h *hub) subscribe() chan struct{} {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clients[ch] = struct{}{}
	if h.stop == nil {
		h.stop = make(chan struct{})
		go h.run(h.stop)
	}
	return ch
}

func (h *hub) unsubscribe(ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, ch)
	if len(h.clients) == 0 && h.stop != nil {
		close(h.stop)
		h.stop = nil
		// The next page starts from a fresh look.
		h.table, h.bootKey = nil, ""
	}
}

func (h *hub) current() ([]byte, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.table, h.bootSeq
}

func (h *hub) run(stop chan struct{}) {
	tick := time.NewTicker(h.poll)
	defer tick.Stop()
	version := ""
	var usageAt time.Time
	for first := true; ; first = false {
		if !first {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
		v := h.b.Version()
		if v == version && time.Since(usageAt) < h.usageEvery {
			continue
		}
		changed := v != version
		version, usageAt = v, time.Now()
		snap, err := h.b.Snapshot()
		if err != nil {
			snap = Snapshot{Supervisor: "cannot read the state: " + err.Error()}
		}
		table, _ := json.Marshal(snap)
		bootKey := ""
		if changed {
			if b, _, ok, err := h.b.Boot(); err == nil && ok {
				bootKey = fmt.Sprintf("%s %d %d %s", b.At.Format(time.RFC3339Nano), b.Total, len(b.Spans), b.Result)
			}
		}
		h.mu.Lock()
		select {
		case <-stop:
			h.mu.Unlock()
			return
		default:
		}
		notify := !bytes.Equal(table, h.table)
		h.table = table
		if changed && bootKey != h.bootKey {
			h.bootKey = bootKey
			h.bootSeq++
			notify = true
		}
		if notify {
			for ch := range h.clients {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
		h.mu.Unlock()
	}
}
