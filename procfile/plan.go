package procfile

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options are the inputs of Resolve besides the Procfile.
type Options struct {
	Root      string   // project folder; default: the Procfile's folder
	EnvFiles  []string // nil: Root/.env when present
	Inherited []string // the environment hiverun was started with
	BasePort  int      // -p; 0: PORT from env files or environment, else 5000
	Formation string   // -m, e.g. "all=1,web=2"
	Select    []string // process names; empty: all
	NoDeps    bool
	Grace     time.Duration // -t: default stop grace
	TTY       bool          // --tty: every process on a pseudo-terminal
}

// Instance is one process to run: web.1, web.2.
type Instance struct {
	Name      string // web.1
	Display   string // web when it is the only instance, else web.1
	Proc      *Process
	Number    int // 1-based
	Port      int
	PortOwned bool
	Env       *Env
	Environ   []string // Env as "KEY=value", made once for every start
	Dir       string   // absolute
	Exec      Exec
	Check     Check
	Clean     []string // globs relative to Dir's root, variables expanded
	Grace     time.Duration
	TTY       bool
}

// Plan is everything needed to run a stack, resolved before anything
// starts.
type Plan struct {
	Procfile  *Procfile
	Root      string
	Env       *Env // inherited + env files, without PORT/PS
	Selected  []*Process
	Instances []*Instance
	Count     map[string]int // instances per process (selected or not)
	// PulledBy names, for a process -m does not name, the process whose
	// depends= makes it start once all the same.
	PulledBy map[string]string
	BasePort int
	opts     Options
}

// ResolveOne resolves the first instance of p whatever the formation says,
// for reports about a process that will not run. It is nil on error.
func ResolveOne(pl *Plan, p *Process) *Instance {
	in, err := resolveInstance(pl, p, 1, pl.opts)
	if err != nil {
		return nil
	}
	return in
}

// InstancesOf returns the instances of process name.
func (pl *Plan) InstancesOf(name string) []*Instance {
	var out []*Instance
	for _, in := range pl.Instances {
		if in.Proc.Name == name {
			out = append(out, in)
		}
	}
	return out
}

// Resolve turns a Procfile, env files and flags into instances.
func Resolve(pf *Procfile, o Options) (*Plan, error) {
	if len(pf.Processes) == 0 {
		return nil, &Error{File: pf.File, Msg: "no processes defined (expected lines like web: COMMAND)"}
	}
	root := o.Root
	if root == "" {
		root = filepath.Dir(pf.File)
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	env, err := LoadEnv(root, o.EnvFiles, o.Inherited)
	if err != nil {
		return nil, err
	}
	base := o.BasePort
	if base == 0 {
		base = 5000
		if v, ok := env.Values["PORT"]; ok && v != "" {
			n, err := ParsePort(v)
			if err != nil {
				return nil, &Error{File: env.Source["PORT"], Msg: fmt.Sprintf("PORT=%s: %v", v, err)}
			}
			base = n
		}
	}
	form, err := parseFormation(pf, o.Formation)
	if err != nil {
		return nil, err
	}
	selected, err := selectProcesses(pf, o.Select, o.NoDeps)
	if err != nil {
		return nil, err
	}
	pulled, err := form.complete(pf, selected, o)
	if err != nil {
		return nil, err
	}
	count := form.count
	pl := &Plan{Procfile: pf, Root: root, Env: env, Count: count, PulledBy: pulled, BasePort: base, opts: o}
	for _, p := range pf.Processes {
		if !selected[p.Name] {
			continue
		}
		pl.Selected = append(pl.Selected, p)
		for n := 1; n <= count[p.Name]; n++ {
			in, err := resolveInstance(pl, p, n, o)
			if err != nil {
				return nil, err
			}
			pl.Instances = append(pl.Instances, in)
		}
	}
	if len(pl.Instances) == 0 {
		return nil, &Error{Msg: fmt.Sprintf("-m %s: the formation leaves out every process (without all=, -m starts only the processes it names)", o.Formation)}
	}
	if err := checkOwnedPorts(pl); err != nil {
		return nil, err
	}
	return pl, nil
}

func resolveInstance(pl *Plan, p *Process, n int, o Options) (*Instance, error) {
	pf := pl.Procfile
	in := &Instance{Proc: p, Number: n, Name: fmt.Sprintf("%s.%d", p.Name, n), Display: p.Name,
		Grace: o.Grace, TTY: p.TTY || o.TTY}
	if pl.Count[p.Name] > 1 {
		in.Display = in.Name
	}
	if p.GraceSet {
		in.Grace = p.Grace
	}
	in.Port = pl.BasePort + p.Index*100 + n - 1
	env := pl.Env.Clone()
	if p.Port != "" {
		v := expand(p.Port, env)
		port, err := ParsePort(v)
		if err != nil {
			return nil, &Error{File: pf.File, Line: p.KeyLine("port"), Msg: fmt.Sprintf("port=%s: %v", p.Port, err)}
		}
		in.Port, in.PortOwned = port+n-1, true
		if in.Port > 65535 {
			return nil, &Error{File: pf.File, Line: p.KeyLine("port"), Msg: fmt.Sprintf("port=%s: instance %d would use port %d, out of range", p.Port, n, in.Port)}
		}
	}
	if in.Port > 65535 {
		return nil, &Error{File: pf.File, Line: p.Line, Msg: fmt.Sprintf("%s would get PORT %d, out of range (lower -p or PORT)", in.Name, in.Port)}
	}
	portSource := "PORT rule"
	if in.PortOwned {
		portSource = fmt.Sprintf("%s:%d", pf.File, p.KeyLine("port"))
	}
	env.Set("PORT", strconv.Itoa(in.Port), portSource)
	env.Set("PS", in.Name, "PS rule")
	if _, ok := env.Values["PYTHONUNBUFFERED"]; !ok {
		env.Set("PYTHONUNBUFFERED", "1", "hiverun")
	}
	in.Dir = pl.Root
	if p.Dir != "" {
		d := expand(p.Dir, env)
		if err := insideProject(d); err != nil {
			return nil, &Error{File: pf.File, Line: p.KeyLine("dir"), Msg: fmt.Sprintf("dir=%s: %v", p.Dir, err)}
		}
		in.Dir = filepath.Join(pl.Root, d)
		if err := isFolder(in.Dir); err != nil {
			return nil, &Error{File: pf.File, Line: p.KeyLine("dir"), Msg: fmt.Sprintf("dir=%s: %v", p.Dir, err)}
		}
	}
	// PWD is the folder the process runs in, as a shell sets it; a
	// command run without one would otherwise carry the terminal's.
	env.Set("PWD", in.Dir, "its folder")
	in.Env, in.Environ = env, env.List()
	for _, g := range p.Clean {
		g = expand(g, env)
		if err := insideProject(g); err != nil {
			return nil, &Error{File: pf.File, Line: p.KeyLine("clean"), Msg: fmt.Sprintf("clean=%s: %v", g, err)}
		}
		in.Clean = append(in.Clean, g)
	}

	switch {
	case p.Health != "":
		c, err := ParseCheck(expand(p.Health, env), in.Port)
		shown, serr := ParseCheck(expandShown(p.Health, in), in.Port)
		if err != nil {
			// Said with the variables as written: the expanded value may
			// hold a secret from .env.
			if serr != nil {
				err = serr
			}
			return nil, &Error{File: pf.File, Line: p.KeyLine("health"), Msg: OneLine(err.Error())}
		}
		if serr == nil && shown.String() != c.String() {
			c.Shown = shown.String()
		}
		in.Check = c
	case in.PortOwned && !p.Oneshot:
		in.Check, _ = ParseCheck("tcp", in.Port)
	}
	in.Exec = PlanExec(p.Command)
	return in, nil
}

// LoadEnv layers the env files (nil: root/.env when present) over the
// inherited environment, later files winning, as foreman does.
func LoadEnv(root string, files []string, inherited []string) (*Env, error) {
	env := NewEnv(inherited)
	if files == nil {
		def := filepath.Join(root, ".env")
		if _, err := os.Stat(def); err == nil {
			files = []string{shortPath(def)}
		}
	}
	for _, f := range files {
		ef, err := ReadEnvFile(f)
		if err != nil {
			return nil, err
		}
		env.Apply(ef)
	}
	return env, nil
}

// shortPath is p relative to the current folder when it lies inside it:
// messages then say .env:3 as the user would type it.
func shortPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return rel
}

func names(pf *Procfile) string {
	var out []string
	for _, p := range pf.Processes {
		out = append(out, p.Name)
	}
	return strings.Join(out, ", ")
}

// didYouMean is "; did you mean NAME?" when a process is close to word.
func didYouMean(pf *Procfile, word string) string { return DidYouMean(pf.Names(), word) }

// selectProcesses returns the named processes and, unless noDeps, all they
// depend on transitively.
func selectProcesses(pf *Procfile, want []string, noDeps bool) (map[string]bool, error) {
	sel := map[string]bool{}
	if len(want) == 0 {
		for _, p := range pf.Processes {
			sel[p.Name] = true
		}
		return sel, nil
	}
	var add func(p *Process)
	add = func(p *Process) {
		if sel[p.Name] {
			return
		}
		sel[p.Name] = true
		if noDeps {
			return
		}
		for _, d := range p.Depends {
			add(pf.Lookup(d))
		}
	}
	for _, w := range want {
		p := pf.Lookup(w)
		if p == nil {
			return nil, &Error{Msg: fmt.Sprintf("unknown process %q (the Procfile defines: %s)%s", w, names(pf), didYouMean(pf, w))}
		}
		add(p)
	}
	return sel, nil
}

// StartOrder lists the selected processes so that each comes after what it
// depends on (Procfile order among equals).
func (pl *Plan) StartOrder() []string {
	var out []string
	done := map[string]bool{}
	inPlan := map[string]bool{}
	for _, p := range pl.Selected {
		inPlan[p.Name] = true
	}
	for len(out) < len(pl.Selected) {
		for _, p := range pl.Selected {
			if done[p.Name] {
				continue
			}
			ok := true
			for _, d := range p.Depends {
				if inPlan[d] && !done[d] {
					ok = false
				}
			}
			if ok {
				done[p.Name] = true
				out = append(out, p.Name)
			}
		}
	}
	return out
}

// StartGroups lists the processes that run in the order they start: the
// first group at once, each further one as what its members depend on
// becomes ready (a process is one group after its deepest dependency;
// Procfile order within a group). A process the formation leaves out is
// in none.
func (pl *Plan) StartGroups() [][]string {
	level := map[string]int{}
	var groups [][]string
	for _, name := range pl.StartOrder() {
		if pl.Count[name] == 0 {
			continue
		}
		l := 0
		for _, d := range pl.Procfile.Lookup(name).Depends {
			if dl, ok := level[d]; ok && dl+1 > l {
				l = dl + 1
			}
		}
		level[name] = l
		for len(groups) <= l {
			groups = append(groups, nil)
		}
		groups[l] = append(groups[l], name)
	}
	// Within a group, the Procfile's order, whatever StartOrder's passes.
	for _, g := range groups {
		sort.SliceStable(g, func(i, j int) bool {
			return pl.Procfile.Lookup(g[i]).Index < pl.Procfile.Lookup(g[j]).Index
		})
	}
	return groups
}

// SortedKeys returns the keys of m in order.
func SortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FirstInstance is the first instance of process name as the stack would
// run it, resolved even when the formation leaves it out (env, run).
func (pl *Plan) FirstInstance(name string) (*Instance, error) {
	if ins := pl.InstancesOf(name); len(ins) > 0 {
		return ins[0], nil
	}
	if in := ResolveOne(pl, pl.Procfile.Lookup(name)); in != nil {
		return in, nil
	}
	return nil, fmt.Errorf("%s: could not resolve its environment", name)
}
