package ui

import (
	"context"
	"fmt"
	"io"
	"os/signal"

	"github.com/hiverun/hiverun/runner/proc"
)

// Start serves the dashboard of b on port (0: a free one) in the
// background, until stop is called: --ui, beside the stack.
func Start(b Backend, port int) (url string, stop func(), err error) {
	srv, err := New(b, Options{Port: port})
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ctx)
	}()
	return srv.URL(), func() { cancel(); <-done }, nil
}

// Command is `hiverun ui`: it serves b on 127.0.0.1 (port 0: a free one),
// says where on out, and stops on Ctrl-C, leaving the stack running.
func Command(ctx context.Context, out io.Writer, b Backend, port int) error {
	ctx, stop := signal.NotifyContext(ctx, proc.StopSignals...)
	defer stop()
	srv, err := New(b, Options{Port: port})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "hiverun: the dashboard is at %s (Ctrl-C stops it, not the stack)\n", srv.URL())
	return srv.Serve(ctx)
}
