package ui

import "context"

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
