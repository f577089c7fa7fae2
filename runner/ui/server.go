package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// Options configure a Server.
type Options struct {
	// Port to listen on, on 127.0.0.1; 0 takes a free one.
	Port int
	// Token every request must carry; random when empty.
	Token string
	// Poll is how often Backend.Version is asked while a page is open
	// (default 250ms: a change shows within a second).
	Poll time.Duration
	// UsageEvery is how often the table is refreshed when nothing
	// changed, for uptime, CPU and memory (default 2s).
	UsageEvery time.Duration
	// OutputEvery is how often an open output pane looks for new lines
	// (default 300ms).
	OutputEvery time.Duration
}

// Server is the dashboard: one page on 127.0.0.1, behind a token.
type Server struct {
	b     Backend
	opts  Options
	token string
	ln    net.Listener
	port  int
	hub   *hub
	srv   *http.Server
}

// New listens on 127.0.0.1 (never another address: the page can stop
// processes) and returns the server, not yet serving.
func New(b Backend, o Options) (*Server, error) {
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.UsageEvery <= 0 {
		o.UsageEvery = 2 * time.Second
	}
	if o.OutputEvery <= 0 {
		o.OutputEvery = 300 * time.Millisecond
	}
	if o.Port < 0 || o.Port > 65535 {
		return nil, fmt.Errorf("ui port %d: out of range 0-65535", o.Port)
	}
	tok := o.Token
	if tok == "" {
		var buf [24]byte
		if _, err := rand.Read(buf[:]); err != nil {
			return nil, err
		}
		tok = hex.EncodeToString(buf[:])
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port)))
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	s := &Server{b: b, opts: o, token: tok, ln: ln, port: ln.Addr().(*net.TCPAddr).Port}
	s.hub = &hub{b: b, poll: o.Poll, usageEvery: o.UsageEvery, clients: map[chan struct{}]struct{}{}}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Port is the port it listens on.
func (s *Server) Port() int { return s.port }

// URL is the address to open, token included: print it for the user,
// the way Jupyter does. The page trades the token for a cookie at once.
func (s *Server) URL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/?token=%s", s.port, s.token)
}

// Serve serves until ctx ends, then closes every open page's stream.
func (s *Server) Serve(ctx context.Context) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// Event streams never end by themselves: Shutdown waits for
		// them only briefly, then Close cuts them.
		if s.srv.Shutdown(sctx) != nil {
			s.srv.Close()
		}
	}()
	s.srv.BaseContext = func(net.Listener) context.Context { return ctx }
	err := s.srv.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops listening and cuts every connection.
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) cookieName() string { return fmt.Sprintf("hiverun_ui_%d", s.port) }

// Handler is the whole site, behind the checks.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.HandleFunc("GET /{$}", s.index)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("GET /output", s.output)
	mux.HandleFunc("GET /waterfall.svg", s.waterfall)
	mux.HandleFunc("GET /graph.svg", s.graph)
	mux.HandleFunc("GET /api/table", s.table)
	mux.HandleFunc("POST /api/restart", s.act)
	mux.HandleFunc("POST /api/stop", s.act)
	mux.HandleFunc("POST /api/stop-stack", s.act)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		http.Error(w, "actions are POST only", http.StatusMethodNotAllowed)
	})
	return s.guard(mux)
}

// guard lets through only requests made to this server by name (Host:
// a DNS-rebound name is refused), from its own page or no page at all
// (Origin), carrying the token.
func (s *Server) guard(next http.Handler) http.Handler {
	hosts := map[string]bool{
		fmt.Sprintf("127.0.0.1:%d", s.port): true,
		fmt.Sprintf("localhost:%d", s.port): true,
		fmt.Sprintf("[::1]:%d", s.port):     true,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		// Inline styles only: the waterfall carries its own <style>.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
		if !hosts[strings.ToLower(r.Host)] {
			http.Error(w, "forbidden: wrong Host", http.StatusForbidden)
			return
		}
		origin := r.Header.Get("Origin")
		if origin != "" && !(strings.HasPrefix(origin, "http://") && hosts[strings.ToLower(strings.TrimPrefix(origin, "http://"))]) {
			http.Error(w, "forbidden: foreign Origin", http.StatusForbidden)
			return
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			http.Error(w, "forbidden: cross-site request", http.StatusForbidden)
			return
		}
		if r.Method == http.MethodPost && origin == "" && r.Header.Get("X-Hiverun-Token") == "" {
			// A browser always sends Origin with a POST; a script must
			// name the token in a header, which no form can.
			http.Error(w, "forbidden: a POST needs Origin or X-Hiverun-Token", http.StatusForbidden)
			return
		}
		if q := r.URL.Query().Get("token"); q != "" && r.Method == http.MethodGet && r.URL.Path == "/" {
			if !s.tokenOK(q) {
				http.Error(w, "unauthorized: wrong token", http.StatusUnauthorized)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			// Off the address bar and out of the history.
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		tok := r.Header.Get("X-Hiverun-Token")
		if c, err := r.Cookie(s.cookieName()); err == nil && tok == "" {
			tok = c.Value
		}
		if !s.tokenOK(tok) {
			http.Error(w, "unauthorized: open the address hiverun printed, with its token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) tokenOK(t string) bool {
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	data, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(data)
}

func (s *Server) table(w http.ResponseWriter, r *http.Request) {
	snap, err := s.b.Snapshot()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(snap)
}

func (s *Server) waterfall(w http.ResponseWriter, r *http.Request) {
	b, trend, ok, err := s.b.Boot()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if !ok {
		http.Error(w, "no boot recorded yet", http.StatusNotFound)
		return
	}
	var buf bytes.Buffer
	if err := Waterfall(&buf, b, trend); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(buf.Bytes())
}

func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	snap, err := s.b.Snapshot()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := Graph(&buf, snap.Processes); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(buf.Bytes())
}

func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	name := r.FormValue("name")
	var (
		msg string
		err error
	)
	switch r.URL.Path {
	case "/api/restart":
		msg, err = s.b.Restart(name)
	case "/api/stop":
		msg, err = s.b.Stop(name)
	case "/api/stop-stack":
		msg, err = s.b.StopStack()
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusConflict)
		json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": err.Error()})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "message": msg})
}

// ParseURL reads the address and token from what URL printed, for
// clients and tests.
func ParseURL(s string) (base, token string, err error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", "", err
	}
	token = u.Query().Get("token")
	if token == "" {
		return "", "", fmt.Errorf("%q has no token", s)
	}
	return u.Scheme + "://" + u.Host, token, nil
}
