// Package export turns a resolved plan into files for an engine that runs
// the stack beyond one machine: systemd units, a compose file or
// Kubernetes manifests. Each format keeps what it can of dependencies,
// readiness, restart policy, stop signal and grace; what it cannot express
// becomes a warning naming the process and the annotation key, never a
// silent drop. The .env values go only into a file of their own (mode
// 0600) or a Secret.
package export

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hiverun/hiverun/procfile"
	"github.com/hiverun/hiverun/runner/proc"
)

// Formats lists what Build can write.
var Formats = []string{"systemd", "compose", "kubernetes"}

// DefaultImageHiverun is where hiverun lives inside an image (the README's
// COPY line puts it there).
const DefaultImageHiverun = "/usr/local/bin/hiverun"

// DefaultImageDir is where the project lives inside an image.
const DefaultImageDir = "/app"

// Options say what to write and for which target.
type Options struct {
	Format   string
	App      string // name prefix of every unit, service or object
	Image    string // compose and kubernetes: the image every process runs
	Hiverun  string // absolute path of hiverun on the target (probe lines)
	User     string // systemd and compose: run as this user
	Probe    string // compose: "hiverun" (default) or "curl"
	ImageDir string // compose and kubernetes: the project folder in the image
	OutDir   string // absolute folder the files go to (systemd's EnvironmentFile)
	Strict   bool   // a warning is an error

	// LookPath finds a program as the process would (default
	// proc.LookPath); tests replace it so goldens do not depend on the
	// machine.
	LookPath func(name, pathEnv, dir string) string
}

// File is one file of an export.
type File struct {
	Name string // base name inside the output folder
	Data []byte
	Mode os.FileMode
}

// Warning is an annotation (or option) a format cannot express.
type Warning struct {
	Process string
	Key     string
	Msg     string
}

func (w Warning) String() string {
	if w.Process == "" {
		return fmt.Sprintf("%s: %s", w.Key, w.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", w.Process, w.Key, w.Msg)
}

// Result is an export in memory: nothing is written yet.
type Result struct {
	App      string // the app name used
	Files    []File
	Warnings []Warning
}

// Error is bad input to an export: the command line or what a format
// refuses. The command maps it to exit 2.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func badf(format string, a ...any) error { return &Error{Msg: fmt.Sprintf(format, a...)} }

// svc is one process of the stack as every format sees it.
type svc struct {
	p     *procfile.Process
	name  string // DNS-1123 label made from the process name
	ins   []*procfile.Instance
	first *procfile.Instance
}

// stack is the plan reduced to what the exporters need.
type stack struct {
	pl     *procfile.Plan
	o      Options
	units  []*svc // start order
	byName map[string]*svc
	secret map[string]string // values from env files, without PORT and PS
	warns  []Warning
}

var labelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// AppName makes a valid app name from a folder name: lowercase, runs of
// anything but letters and digits as one '-'.
func AppName(folder string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(folder) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "app"
	}
	return s
}

// Build turns a plan into files. It writes nothing.
func Build(pl *procfile.Plan, o Options) (*Result, error) {
	if o.App == "" {
		o.App = AppName(filepath.Base(pl.Root))
	}
	if !labelRE.MatchString(o.App) || len(o.App) > 40 {
		return nil, badf("--app %q: expected lowercase letters, digits and '-', at most 40 characters", o.App)
	}
	if o.LookPath == nil {
		o.LookPath = proc.LookPath
	}
	if o.ImageDir == "" {
		o.ImageDir = DefaultImageDir
	}
	if o.Probe == "" {
		o.Probe = "hiverun"
	}
	if o.Probe != "hiverun" && o.Probe != "curl" {
		return nil, badf("--probe %q: expected hiverun or curl", o.Probe)
	}
	switch o.Format {
	case "compose", "kubernetes":
		if o.Image == "" {
			return nil, badf("export %s needs --image: the image every process runs (it must contain the project and, for readiness, hiverun)", o.Format)
		}
		if o.Hiverun == "" {
			o.Hiverun = DefaultImageHiverun
		}
	case "systemd":
		if o.Image != "" {
			return nil, badf("--image: systemd units run on the machine itself, not in an image")
		}
		if o.Hiverun == "" {
			exe, err := os.Executable()
			if err != nil {
				return nil, badf("--hiverun: cannot tell where this hiverun is (%v): name it", err)
			}
			o.Hiverun = exe
		}
	default:
		return nil, badf("unknown export format %q (expected %s)", o.Format, strings.Join(Formats, ", "))
	}
	if o.Probe == "curl" && o.Format != "compose" {
		return nil, badf("--probe curl is for compose only")
	}
	if !filepath.IsAbs(o.Hiverun) {
		return nil, badf("--hiverun %q: expected an absolute path", o.Hiverun)
	}
	st, err := newStack(pl, o)
	if err != nil {
		return nil, err
	}
	var files []File
	switch o.Format {
	case "systemd":
		files, err = st.systemd()
	case "compose":
		files, err = st.compose()
	case "kubernetes":
		files, err = st.kubernetes()
	}
	if err != nil {
		return nil, err
	}
	if o.Strict && len(st.warns) > 0 {
		msg := "--strict: " + st.warns[0].String()
		if n := len(st.warns) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
		return nil, &Error{Msg: msg}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return &Result{App: o.App, Files: files, Warnings: st.warns}, nil
}

func newStack(pl *procfile.Plan, o Options) (*stack, error) {
	st := &stack{pl: pl, o: o, byName: map[string]*svc{}, secret: map[string]string{}}
	seen := map[string]string{}
	for _, name := range pl.StartOrder() {
		ins := pl.InstancesOf(name)
		if len(ins) == 0 {
			continue
		}
		u := &svc{p: ins[0].Proc, name: AppName(name), ins: ins, first: ins[0]}
		if prev, dup := seen[u.name]; dup {
			return nil, badf("processes %s and %s both become %q in an export: rename one", prev, name, u.name)
		}
		seen[u.name] = name
		st.units = append(st.units, u)
		st.byName[name] = u
	}
	if len(st.units) == 0 {
		return nil, badf("nothing to export: the formation leaves out every process")
	}
	for k, v := range pl.Env.Values {
		src := pl.Env.Source[k]
		// Only what the env files set: the inherited environment is this
		// shell's, not the stack's. PORT and PS are set per instance.
		if src == "inherited" || k == "PORT" || k == "PS" {
			continue
		}
		st.secret[k] = v
	}
	return st, nil
}

func (st *stack) warn(proc, key, format string, a ...any) {
	w := Warning{Process: proc, Key: key, Msg: fmt.Sprintf(format, a...)}
	for _, seen := range st.warns {
		if seen == w {
			return
		}
	}
	st.warns = append(st.warns, w)
}

// isSet says whether an annotation gave key (rather than its default).
func isSet(p *procfile.Process, key string) bool { return p.KeyLine(key) != p.Line }

// deps lists the units u depends on that are exported.
func (st *stack) deps(u *svc) []*svc {
	var out []*svc
	for _, d := range u.p.Depends {
		if du := st.byName[d]; du != nil {
			out = append(out, du)
		}
	}
	return out
}

// secretKeys lists the env-file keys in order.
func (st *stack) secretKeys() []string { return procfile.SortedKeys(st.secret) }

// unitEnv is what each instance gets besides the env file: the values
// hiverun sets itself and the command's leading assignments. Never an
// env-file value.
func (st *stack) unitEnv(in *procfile.Instance) [][2]string {
	var out [][2]string
	if in.Env.Source["PYTHONUNBUFFERED"] == "hiverun" {
		out = append(out, [2]string{"PYTHONUNBUFFERED", "1"})
	}
	for _, kv := range in.Exec.Env {
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, [2]string{k, v})
	}
	return out
}

// relDir is the instance's folder relative to the project.
func (st *stack) relDir(in *procfile.Instance) string {
	r, err := filepath.Rel(st.pl.Root, in.Dir)
	if err != nil {
		return "."
	}
	return filepath.ToSlash(r)
}

// imageDir is the instance's folder inside the image.
func (st *stack) imageDir(in *procfile.Instance) string {
	return strings.TrimSuffix(st.o.ImageDir, "/") + strings.TrimPrefix("/"+st.relDir(in), "/.")
}

// command is argv for an engine that runs the command in an image: argv
// as is when the runner would execute it directly, else /bin/sh -c with
// its last command exec'd.
func command(in *procfile.Instance) []string {
	if in.Exec.Script == "" {
		return append([]string(nil), in.Exec.Argv...)
	}
	return []string{"/bin/sh", "-c", in.Exec.Script}
}

// seconds rounds a duration up to whole seconds, at least min.
func seconds(d time.Duration, least int32) int32 {
	s := int32((d + time.Second - 1) / time.Second)
	if s < least {
		return least
	}
	return s
}

// goDuration prints d the way the annotations write it (30s, 1m, 500ms).
func goDuration(d time.Duration) string {
	s := d.String()
	s = strings.Replace(s, "m0s", "m", 1)
	s = strings.Replace(s, "h0m", "h", 1)
	return s
}

var bareRE = regexp.MustCompile(`^[A-Za-z0-9_./:@,+=%-]*$`)

// envFile writes values in the subset of the env-file syntax that systemd's
// EnvironmentFile= and compose's env_file read alike: bare when safe,
// single quotes when that is literal in both, else double quotes with
// only \\, \" and \$ escaped (the escapes both understand).
func envFile(values map[string]string) []byte {
	var b strings.Builder
	b.WriteString("# Written by hiverun export from the env files: keep this file private (mode 0600).\n")
	for _, k := range procfile.SortedKeys(values) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(envQuote(values[k]))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func envQuote(v string) string {
	switch {
	case bareRE.MatchString(v):
		return v
	case !strings.ContainsAny(v, "'\\"):
		return "'" + v + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
	return `"` + r.Replace(v) + `"`
}
