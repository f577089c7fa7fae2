package export

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/hiverun/hiverun/procfile"
)

// systemd writes foreman's layout: APP.target and one APP-NAME.N.service
// per instance, PartOf the target, plus what foreman never wrote:
// dependencies, readiness (ExecStartPost= runs hiverun probe), restart
// policy, stop signal and grace.
func (st *stack) systemd() ([]File, error) {
	app := st.o.App
	var files []File
	target := []*unit.UnitOption{
		unit.NewUnitOption("Unit", "Description", specifierEscape(app+" (exported by hiverun from "+oneLine(st.pl.Procfile.File)+")")),
	}
	for _, u := range st.units {
		for _, in := range u.ins {
			// An optional failure must not fail the stack: the target
			// only wants it.
			key := "Requires"
			if u.p.Optional {
				key = "Wants"
			}
			target = append(target, unit.NewUnitOption("Unit", key, serviceName(app, in)))
		}
	}
	target = append(target, unit.NewUnitOption("Install", "WantedBy", "multi-user.target"))
	data, err := serialize(target)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Name: app + ".target", Data: data, Mode: 0o644})

	for _, u := range st.units {
		st.systemdWarnings(u)
		for _, in := range u.ins {
			opts, err := st.sdService(u, in)
			if err != nil {
				return nil, err
			}
			data, err := serialize(opts)
			if err != nil {
				return nil, err
			}
			files = append(files, File{Name: serviceName(app, in), Data: data, Mode: 0o644})
		}
	}
	if len(st.secret) > 0 {
		files = append(files, File{Name: app + ".env", Data: envFile(st.secret), Mode: 0o600})
	}
	return files, nil
}

func serviceName(app string, in *procfile.Instance) string {
	return fmt.Sprintf("%s-%s.service", app, in.Name)
}

func serialize(opts []*unit.UnitOption) ([]byte, error) {
	b, err := io.ReadAll(unit.Serialize(opts))
	if err != nil {
		return nil, err
	}
	return append([]byte("# Written by hiverun export: changes are lost at the next export.\n"), b...), nil
}

func (st *stack) systemdWarnings(u *svc) {
	p := u.p
	if p.TTY {
		st.warn(p.Name, "tty", "systemd runs it on a pipe to the journal, not a terminal")
	}
	if p.Oneshot && p.Restart == procfile.RestartAlways {
		st.warn(p.Name, "restart", "systemd does not restart a oneshot always: written as Restart=on-failure")
	}
}

// unitOptions collects a unit's settings in the order they are written.
type unitOptions []*unit.UnitOption

func (o *unitOptions) add(sec, k, v string) { *o = append(*o, unit.NewUnitOption(sec, k, v)) }

// sdService is one instance's unit, built section by section in the order
// systemd reads them: what it belongs to and needs, how it runs, when it
// is ready, how it restarts and stops.
func (st *stack) sdService(u *svc, in *procfile.Instance) ([]*unit.UnitOption, error) {
	var o unitOptions
	st.sdRequires(&o, u, in)
	st.sdExec(&o, u.p, in)
	st.sdReadiness(&o, u.p, in)
	sdRestartStop(&o, u.p, in)
	return o, nil
}

// sdRequires ties the unit to the stack's target and to every instance it
// depends on.
func (st *stack) sdRequires(o *unitOptions, u *svc, in *procfile.Instance) {
	p, app := u.p, st.o.App
	o.add("Unit", "Description", fmt.Sprintf("%s %s: %s", app, in.Name, specifierEscape(oneLine(p.Command))))
	o.add("Unit", "PartOf", app+".target")
	for _, d := range st.deps(u) {
		// Every instance of the dependency, whether either is optional:
		// a dependent never starts without what it depends on.
		for _, din := range d.ins {
			o.add("Unit", "Requires", serviceName(app, din))
			o.add("Unit", "After", serviceName(app, din))
		}
	}
}

// sdExec is how the process runs: its type, user, folder, environment
// (secrets only by EnvironmentFile=), clean= and command.
func (st *stack) sdExec(o *unitOptions, p *procfile.Process, in *procfile.Instance) {
	switch {
	case p.Oneshot:
		o.add("Service", "Type", "oneshot")
		o.add("Service", "RemainAfterExit", "yes")
	default:
		// exec: started means the program was executed, so a missing
		// program fails the start instead of counting as running.
		o.add("Service", "Type", "exec")
	}
	if st.o.User != "" {
		o.add("Service", "User", st.o.User)
	}
	// A path setting takes the rest of the line as it is: no quotes.
	o.add("Service", "WorkingDirectory", specifierEscape(in.Dir))
	o.add("Service", "Environment", sdWord("PORT="+fmt.Sprint(in.Port), false))
	o.add("Service", "Environment", sdWord("PS="+in.Name, false))
	for _, kv := range st.unitEnv(in) {
		o.add("Service", "Environment", sdWord(kv[0]+"="+kv[1], false))
	}
	if len(st.secret) > 0 {
		o.add("Service", "EnvironmentFile", specifierEscape(strings.TrimSuffix(st.o.OutDir, "/")+"/"+st.o.App+".env"))
	}
	if len(in.Clean) > 0 {
		if script, ok := cleanScript(st.pl.Root, in.Clean); ok {
			o.add("Service", "ExecStartPre", sdLine([]string{"/bin/sh", "-c", script}))
		} else {
			st.warn(p.Name, "clean", "a pattern holds characters a unit cannot pass to the shell safely: not written")
		}
	}
	o.add("Service", "ExecStart", sdLine(st.execArgv(in)))
}

// sdReadiness makes systemd's "started" mean hiverun's "ready", so
// dependents wait as they would under hiverun, and bounds the start.
func (st *stack) sdReadiness(o *unitOptions, p *procfile.Process, in *procfile.Instance) {
	start := p.Timeout + p.Delay
	switch {
	case p.Oneshot:
		// Ready means it ran to completion: the whole run is the start.
	case in.Check.Kind != procfile.CheckNone:
		// Readiness gates dependents: systemd starts what is After= this
		// unit only once ExecStartPost= has passed.
		argv := []string{st.o.Hiverun, "probe", in.Check.String(), "--timeout", goDuration(p.Timeout), "--quiet"}
		if p.Delay > 0 {
			argv = append(argv, "--delay", goDuration(p.Delay))
		}
		o.add("Service", "ExecStartPost", sdLine(argv))
		// The probe gives up first and says why; systemd's own limit
		// only catches a stuck probe.
		start += 5 * time.Second
	case p.Delay > 0:
		// No check: ready once it has stayed alive this long.
		o.add("Service", "ExecStartPost", sdLine([]string{"/bin/sleep", strconv.FormatFloat(p.Delay.Seconds(), 'f', -1, 64)}))
	}
	o.add("Service", "TimeoutStartSec", sdSeconds(start))
}

// sdRestartStop carries the restart policy (systemd has no "always" for a
// oneshot) and the stop signal and grace, applied to the whole group.
func sdRestartStop(o *unitOptions, p *procfile.Process, in *procfile.Instance) {
	restart := p.Restart
	if p.Oneshot && restart == procfile.RestartAlways {
		restart = procfile.RestartOnFailure
	}
	o.add("Service", "Restart", restart)
	if restart != procfile.RestartNo {
		o.add("Service", "RestartSec", "1s")
	}
	o.add("Service", "KillMode", "control-group")
	o.add("Service", "KillSignal", "SIG"+p.Signal)
	o.add("Service", "TimeoutStopSec", sdSeconds(in.Grace))
}

// execArgv is the runner's rule with an absolute program: a simple
// command is executed directly, anything else by /bin/sh -c with its last
// command exec'd. A program not found here runs through the shell, which
// looks for it on the target's PATH.
func (st *stack) execArgv(in *procfile.Instance) []string {
	if in.Exec.Script != "" {
		return []string{"/bin/sh", "-c", in.Exec.Script}
	}
	argv := append([]string(nil), in.Exec.Argv...)
	if path := st.o.LookPath(argv[0], in.Env.Values["PATH"], in.Dir); path != "" {
		argv[0] = path
		return argv
	}
	return []string{"/bin/sh", "-c", "exec " + shJoin(argv)}
}

var globRE = regexp.MustCompile(`^[A-Za-z0-9_.*?/\[\]-]+$`)

// cleanScript removes the clean= globs, relative to the project folder,
// as hiverun does before a start.
func cleanScript(root string, globs []string) (string, bool) {
	for _, g := range globs {
		if !globRE.MatchString(g) || strings.HasPrefix(g, "-") {
			return "", false
		}
	}
	return "cd " + shQuote(root) + " && rm -rf -- " + strings.Join(globs, " "), true
}

// sdSeconds writes a duration for a unit: whole seconds, or milliseconds.
func sdSeconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprint(int64(d / time.Second))
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// sdLine writes a command line for Exec*=.
func sdLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = sdWord(a, true)
	}
	return strings.Join(words, " ")
}

var sdBareRE = regexp.MustCompile(`^[A-Za-z0-9_./:@,+=%$-]+$`)

// sdWord quotes one word of a unit setting: % starts a specifier in every
// setting, and $ a variable in Exec*= lines, so both are doubled; anything
// else unusual goes into double quotes with C escapes.
func sdWord(s string, exec bool) string {
	s = specifierEscape(s)
	if exec {
		s = strings.ReplaceAll(s, "$", "$$")
	}
	if sdBareRE.MatchString(s) {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func specifierEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// shQuote quotes s for /bin/sh.
func shQuote(s string) string {
	if s != "" && regexp.MustCompile(`^[A-Za-z0-9_./:@,+=%-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shQuote(a)
	}
	return strings.Join(q, " ")
}
