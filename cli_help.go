package main

import "github.com/spf13/cobra"

// exitCodesHelp ends `hiverun --help`: scripts and CI steps branch on
// these (SPEC §8), so they belong where a user looks first.
const exitCodesHelp = `{{if not .HasParent}}
Exit codes:
  0    success, or the stack was stopped by you (Ctrl-C, hiverun stop)
  1    the stack or a required process failed
  2    bad usage or bad input files (FILE:LINE: message on stderr)
  3    refused: a port held by a process hiverun did not start, another
       supervisor with --no-reclaim, a state folder that is a symlink or
       another user's
hiverun run exits with its command's status: 127 when the command is not
found, 126 when it is not executable, 128+N when signal N ended it.
{{end}}`

// newProcfileHelp is `hiverun help procfile`: the Procfile and every
// annotation key with its meaning and default. A test holds it to the
// keys the parser accepts.
func newProcfileHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "procfile",
		Short: "The Procfile and its annotations: every key, its meaning and default",
		Long: `The Procfile

hiverun reads foreman's Procfile: one process per line, NAME: COMMAND.
NAME is letters, digits, _ and -; COMMAND runs as with sh -c (variables,
pipes and && work as in foreman). Blank lines and lines whose first
character is # are comments. Any other line is one foreman drops without a
word: hiverun warns with its line number, and check --strict fails on it.
Two processes with the same NAME are an error.

Annotations

A comment line "# hiverun: WORDS" directly above a process line annotates
it; several may stack. foreman and other tools see only a comment. WORDS
are split like shell words (quote a value that holds spaces) into
key=value pairs and bare flags:

  # hiverun: port=8000 health=/health depends=migrate,redis timeout=30s
  backend: python3 -m app

Keys

  port=8000
      The port this process owns: sets $PORT (+1 for each further
      instance), is checked for conflicts before anything starts, and is
      its default readiness check.
      Default: foreman's rule for $PORT (-p, else PORT from the
      environment, else 5000; +100 per Procfile entry, +1 per instance);
      not owned.

  depends=redis,db
      Processes that must be ready before this one starts.
      Default: none.

  health=/health
      Readiness check: http://… or https://… (any 2xx or 3xx answer;
      certificates are not verified), /path (http://127.0.0.1:$PORT/path),
      tcp://host:port, tcp (127.0.0.1:$PORT) or "exec:CMD" (exits 0).
      Default: tcp when port is set, else none (ready once started, or
      once alive for delay=).

  timeout=30s
      How long it may take to become ready; then it has failed.
      Default: 60s.

  delay=2s
      Wait before the first check; with no check at all, it is ready once
      it has stayed alive this long.
      Default: 0.

  optional
      Failing does not fail the stack; what depends on it is skipped.
      Default: required.

  oneshot
      A task that runs to completion (a migration, codegen): ready means
      it exited 0, and its end does not stop the stack.
      Default: long-running.

  dir=./web
      Working directory, relative to the project folder (the Procfile's,
      or --root).
      Default: the project folder.

  restart=on-failure
      What to do when it exits after being ready: on-failure (a non-zero
      exit), always (any exit, and when it turns unhealthy) or no.
      Restarts back off from 100ms, doubling to 30s, reset after 60s
      ready; what depends on it keeps running.
      Default: no (a required process's exit stops the stack, as foreman).

  signal=INT
      Stop signal: TERM, INT, HUP, QUIT, KILL, USR1, USR2, WINCH or ABRT
      (SIGINT and int are the same).
      Default: TERM.

  grace=10s
      Time between the stop signal and SIGKILL.
      Default: -t (5s).

  clean="tmp/*.pid"
      Globs removed before it starts, inside the project folder only.
      Default: none.

  tty
      Run it on its own pseudo-terminal, for programs that buffer their
      output or drop their colours on a pipe.
      Default: a pipe (--tty gives every process one).

Flags (optional, oneshot, tty) may also be written flag=true or
flag=false. Durations are Go durations (500ms, 2s, 1m) or a bare number of
seconds. $PORT and variables from the environment may be used in port,
health, dir and clean (health=http://localhost:$PORT/ping).

An unknown key, a malformed value, a key set twice, a depends= on an
unknown process or a dependency cycle (shown as a -> b -> c -> a) is an
error with its file and line: hiverun check finds them without starting
anything.`,
	}
}
