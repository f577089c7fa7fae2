package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hiverun/hiverun/procfile"
)

// ComposeFile is the name of the compose export.
const ComposeFile = "compose.yaml"

// compose writes one compose.yaml, one service per process.
func (st *stack) compose() ([]File, error) {
	proj := &types.Project{Name: st.o.App, Services: types.Services{}}
	for _, u := range st.units {
		s, err := st.composeService(u)
		if err != nil {
			return nil, err
		}
		proj.Services[u.p.Name] = s
	}
	data, err := proj.MarshalYAML()
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	head := "# Written by hiverun export from " + st.pl.Procfile.File + ": changes are lost at the next export.\n"
	files := []File{{Name: ComposeFile, Data: append([]byte(head), data...), Mode: 0o644}}
	if len(st.secret) > 0 {
		files = append(files, File{Name: st.o.App + ".env", Data: envFile(st.secret), Mode: 0o600})
	}
	return files, nil
}

// dollar keeps a value away from compose's interpolation and from
// Kubernetes' $(VAR) expansion in commands and env values: both read $$
// as one literal $.
func dollar(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func dollars(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = dollar(s)
	}
	return out
}

func dur(d time.Duration) *types.Duration {
	v := types.Duration(d)
	return &v
}

func (st *stack) composeService(u *svc) (types.ServiceConfig, error) {
	p, in := u.p, u.first
	s := types.ServiceConfig{Name: p.Name}
	s.Image = st.o.Image
	s.Command = types.ShellCommand(dollars(command(in)))
	s.WorkingDir = st.imageDir(in)
	s.User = st.o.User
	s.Tty = p.TTY
	env := types.MappingWithEquals{}
	set := func(k, v string) { v = dollar(v); env[k] = &v }
	set("PORT", fmt.Sprint(in.Port))
	// Compose has no per-replica value: a scaled process gets its name.
	if len(u.ins) == 1 {
		set("PS", in.Name)
	} else {
		set("PS", p.Name)
	}
	for _, kv := range st.unitEnv(in) {
		set(kv[0], kv[1])
	}
	s.Environment = env
	if len(st.secret) > 0 {
		s.EnvFiles = []types.EnvFile{{Path: st.o.App + ".env", Required: true}}
	}
	if in.PortOwned {
		pub := fmt.Sprint(in.Port)
		if n := len(u.ins); n > 1 {
			pub = fmt.Sprintf("%d-%d", in.Port, in.Port+n-1)
		}
		s.Ports = []types.ServicePortConfig{{Target: uint32(in.Port), Published: pub, Protocol: "tcp"}}
	}
	replicas := len(u.ins)
	s.Deploy = &types.DeployConfig{Replicas: &replicas}

	deps := st.deps(u)
	if len(deps) > 0 {
		s.DependsOn = types.DependsOnConfig{}
	}
	for _, d := range deps {
		cond := types.ServiceConditionStarted
		switch {
		case d.p.Oneshot:
			cond = types.ServiceConditionCompletedSuccessfully
		case d.first.Check.Kind != procfile.CheckNone:
			cond = types.ServiceConditionHealthy
		}
		// Never required: false, whatever is optional: a dependent must
		// not start without what it depends on.
		s.DependsOn[d.p.Name] = types.ServiceDependency{Condition: cond, Required: true}
	}
	if !p.Oneshot && in.Check.Kind != procfile.CheckNone {
		s.HealthCheck = st.healthcheck(u)
	}

	restart := p.Restart
	if p.Oneshot && restart == procfile.RestartAlways {
		st.warn(p.Name, "restart", "a oneshot restarted always never completes, so its dependents would never start: written as on-failure")
		restart = procfile.RestartOnFailure
	}
	s.Restart = restart
	s.StopSignal = "SIG" + p.Signal
	s.StopGracePeriod = dur(in.Grace)

	if p.Optional {
		st.warn(p.Name, "optional", "compose has no optional service: a failure of this one fails its dependents as for any other")
	}
	if p.Delay > 0 {
		st.warn(p.Name, "delay", "compose cannot postpone the first health check or wait a fixed time before dependents start")
	}
	if p.Oneshot && isSet(p, "timeout") {
		st.warn(p.Name, "timeout", "compose sets no time limit on a oneshot's run")
	}
	if len(p.Clean) > 0 {
		st.warn(p.Name, "clean", "a container starts from its image, so there is nothing left over to clean")
	}
	return s, nil
}

// healthcheck checks readiness inside the container: hiverun probe by
// default, curl -f for an HTTP check with --probe curl, the command itself
// for an exec check. Until timeout= has run out (start_period) a failed
// check does not count, and it is tried every second.
func (st *stack) healthcheck(u *svc) *types.HealthCheckConfig {
	c := u.first.Check
	var test []string
	switch {
	case c.Kind == procfile.CheckExec:
		// As written: a variable's value (a secret from .env) is never
		// put in the file; the shell finds it in the environment.
		test = []string{"CMD-SHELL", strings.TrimPrefix(c.String(), "exec:")}
	case st.o.Probe == "curl" && c.Kind == procfile.CheckHTTP:
		test = []string{"CMD", "curl", "-fsS", "-o", "/dev/null", c.String()}
	default:
		if st.o.Probe == "curl" {
			st.warn(u.p.Name, "health", "curl cannot check %s: written with hiverun probe", c)
		}
		test = []string{"CMD", st.o.Hiverun, "probe", c.String(), "--timeout", "3s", "--quiet"}
	}
	retries := uint64(3)
	return &types.HealthCheckConfig{
		Test:          types.HealthCheckTest(dollars(test)),
		Interval:      dur(10 * time.Second),
		Timeout:       dur(5 * time.Second),
		Retries:       &retries,
		StartPeriod:   dur(u.p.Timeout),
		StartInterval: dur(time.Second),
	}
}
