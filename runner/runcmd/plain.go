package runcmd

import (
	"os"

	"github.com/hiverun/hiverun/procfile"
)

// Plain is `hiverun run` without --with. When program is false and
// args[0] names a process of the Procfile, that process's command line
// runs, with its environment, in its dir=, args[1:] added to it, as
// foreman run does; otherwise args run in the project folder with the
// env files' environment. fl is the command line's flags; it is not
// changed.
func Plain(fl *procfile.Flags, args []string, program bool) error {
	if !program {
		in, err := procfileCommand(fl, args[0])
		if err != nil {
			return err
		}
		if in != nil {
			line := in.Proc.Command + ShellJoin(args[1:])
			return Run(in.Environ, in.Env.Values["PATH"], in.Dir, []string{line})
		}
	}
	root := fl.Dir()
	files, err := fl.EnvFileList()
	if err != nil {
		return err
	}
	env, err := procfile.LoadEnv(root, files, os.Environ())
	if err != nil {
		return err
	}
	return Run(env.List(), env.Values["PATH"], root, args)
}

// procfileCommand is the first instance of process name when the Procfile
// defines one, resolved as the stack would run it; nil when name is not a
// process, or there is no Procfile to say (run works without one).
func procfileCommand(fl *procfile.Flags, name string) (*procfile.Instance, error) {
	pf, err := fl.Parse()
	if err != nil || pf.Lookup(name) == nil {
		return nil, nil
	}
	only := *fl
	only.NoDeps = true
	plan, err := only.Plan([]string{name})
	if err != nil {
		return nil, err
	}
	return plan.FirstInstance(name)
}
