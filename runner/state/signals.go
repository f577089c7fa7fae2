package state

import (
	"context"
	"errors"
	"os"
)

// ExplainSignals passes the supervisor's signals on to the runner, except
// one that a stop note in the state folder explains (a takeover, `hiverun
// stop`): that one stops the stack with the note's words as the reason,
// through the returned context's cause. Later signals pass on as usual, so
// a second Ctrl-C still kills at once. stop ends the forwarding.
func ExplainSignals(ctx context.Context, dir *Dir, sigs <-chan os.Signal) (_ context.Context, _ <-chan os.Signal, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	out := make(chan os.Signal, cap(sigs)+1)
	quit := make(chan struct{})
	go func() {
		explained := false
		for {
			select {
			case s := <-sigs:
				if !explained {
					if by, ok := dir.TakeStopNote(os.Getpid()); ok {
						explained = true
						cancel(errors.New(by))
						continue
					}
				}
				select {
				case out <- s:
				case <-quit:
					return
				}
			case <-quit:
				return
			}
		}
	}()
	return ctx, out, func() {
		close(quit)
		cancel(nil)
	}
}
