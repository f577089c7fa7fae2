package probe

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/exitcode"
)

// Command is `hiverun probe CHECK`: it waits for check, written as in a
// health= annotation, and says on stdout when it passed unless quiet.
// timeout and delay are as written: a malformed one is bad usage.
func Command(ctx context.Context, stdout io.Writer, check, timeout, delay string, quiet bool) error {
	c, err := Parse(check)
	if err != nil {
		return &exitcode.Usage{Msg: "probe: " + err.Error()}
	}
	o := Options{}
	if o.Timeout, err = procfile.ParseDuration(timeout); err != nil {
		return &exitcode.Usage{Msg: fmt.Sprintf("probe: --timeout %s: %v", timeout, err)}
	}
	if o.Delay, err = procfile.ParseDuration(delay); err != nil {
		return &exitcode.Usage{Msg: fmt.Sprintf("probe: --delay %s: %v", delay, err)}
	}
	if o.Dir, err = os.Getwd(); err != nil {
		return err
	}
	start := time.Now()
	if err := Wait(ctx, c, o); err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintf(stdout, "%s: ready after %s\n", c, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
