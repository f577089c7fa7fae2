package cli

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner"
	"github.com/hiverun/hiverun/runner/exitcode"
)

// TestExitCode: each kind of error gives its exit code and says, once, what
// no one has said yet.
func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		code int
		say  string
	}{
		{nil, 0, ""},
		{&exitcode.Usage{Msg: "--port abc: not a number"}, 2, "hiverun: --port abc: not a number\n"},
		{&procfile.Error{File: "Procfile", Line: 3, Msg: "unknown key"}, 2, "Procfile:3: unknown key\n"},
		{&procfile.Error{Msg: `unknown process "wbe"`}, 2, "hiverun: unknown process \"wbe\"\n"},
		{&runner.ExitError{Code: 1, Msg: "api failed"}, 1, ""},
		{fmt.Errorf("wrapped: %w", &exitcode.Code{Code: 7}), 7, ""},
		{&exitcode.Code{Code: 1, Msg: "the command did not run"}, 1, "hiverun: the command did not run\n"},
		{&exitcode.NotFoundError{Name: "nosuch"}, 127, ""},
		{errors.New("disk full"), 1, "hiverun: disk full\n"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		if got := ExitCode(c.err, &out); got != c.code {
			t.Errorf("%v: exit %d, want %d", c.err, got, c.code)
		}
		if c.say != "" && out.String() != c.say {
			t.Errorf("%v: said %q, want %q", c.err, out.String(), c.say)
		}
		if c.say == "" && c.code != 127 && out.Len() > 0 {
			t.Errorf("%v: said %q, want nothing", c.err, out.String())
		}
	}
}
