package export

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/coreos/go-systemd/v22/unit"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/hiverun/hiverun/procfile"
)

// TestSystemdVerify: every unit of an export passes one systemd-analyze
// verify call with nothing at all on stderr. verify checks that each
// Exec*= program exists and each Requires= names a unit of the set, and
// only warns about unknown keys, hence "nothing on stderr".
func TestSystemdVerify(t *testing.T) {
	t.Parallel()
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing: .ci/run installs it (Debian package systemd)")
		}
		t.Skip("systemd-analyze is not installed (Debian package systemd)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			// The real PATH lookup and an existing hiverun: verify checks
			// that the programs are there.
			out, res, _ := exportTo(t, fx, Options{Format: "systemd", App: fx.app, Hiverun: self})
			var units []string
			for _, f := range res.Files {
				if strings.HasSuffix(f.Name, ".service") || strings.HasSuffix(f.Name, ".target") {
					units = append(units, filepath.Join(out, f.Name))
				}
			}
			cmd := exec.Command(sa, append([]string{"verify"}, units...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if err != nil || stderr.Len() > 0 {
				t.Fatalf("systemd-analyze verify: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
		})
	}
}

// TestSystemdVerifyCatches makes sure the verify test can fail: a unit
// with a missing program and a Requires= outside the set is reported.
func TestSystemdVerifyCatches(t *testing.T) {
	t.Parallel()
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.service")
	os.WriteFile(bad, []byte("[Unit]\nRequires=elsewhere.service\n[Service]\nExecStart=/nonexistent/program\n"), 0o644)
	var stderr bytes.Buffer
	cmd := exec.Command(sa, "verify", bad)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil && stderr.Len() == 0 {
		t.Fatal("systemd-analyze verify passed a unit with a missing program")
	}
}

// loadCompose loads compose.yaml with compose-go, schema validation on,
// as docker compose would.
func loadCompose(t *testing.T, dir, app string) *types.Project {
	t.Helper()
	path := filepath.Join(dir, ComposeFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: path, Content: data}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SkipValidation = false
		o.SetProjectName(app, true)
	})
	if err != nil {
		t.Fatalf("compose-go rejects %s: %v", path, err)
	}
	return proj
}

// TestComposeLoads: compose.yaml loads through compose-go with schema
// validation on, and what it loads is the plan: commands (no $ eaten by
// interpolation) and the env file's values, read back by compose's own
// env-file parser.
func TestComposeLoads(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			o := goldenOptions(fx, "compose", "")
			out, res, pl := exportTo(t, fx, o)
			proj := loadCompose(t, out, res.App)

			for _, name := range pl.StartOrder() {
				ins := pl.InstancesOf(name)
				if len(ins) == 0 {
					continue
				}
				s, ok := proj.Services[name]
				if !ok {
					t.Fatalf("service %s is missing", name)
				}
				if got, want := strings.Join(s.Command, "\x00"), strings.Join(command(ins[0]), "\x00"); got != want {
					t.Errorf("%s: command %q, want %q", name, s.Command, command(ins[0]))
				}
				if s.Deploy == nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas != len(ins) {
					t.Errorf("%s: replicas not %d", name, len(ins))
				}
				for k, v := range pl.Env.Values {
					if pl.Env.Source[k] == "inherited" || k == "PORT" {
						continue
					}
					got := s.Environment[k]
					if got == nil || *got != v {
						t.Errorf("%s: %s from the env file reads back as %v, want %q", name, k, deref(got), v)
					}
				}
				if p := s.Environment["PORT"]; p == nil || *p != fmt.Sprint(ins[0].Port) {
					t.Errorf("%s: PORT %v, want %d", name, deref(p), ins[0].Port)
				}
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return "<unset>"
	}
	return *p
}

// kubeObjects decodes every document strictly into its k8s.io/api type:
// an unknown or duplicate field is an error.
func kubeObjects(t *testing.T, data []byte) []any {
	t.Helper()
	var out []any
	for i, doc := range strings.Split(string(data), "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var obj any
		switch tm.APIVersion + "/" + tm.Kind {
		case "apps/v1/Deployment":
			obj = &appsv1.Deployment{}
		case "batch/v1/Job":
			obj = &batchv1.Job{}
		case "v1/Service":
			obj = &corev1.Service{}
		case "v1/Secret":
			obj = &corev1.Secret{}
		default:
			t.Fatalf("document %d: unexpected %s %s", i, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("document %d (%s) does not decode strictly: %v", i, tm.Kind, err)
		}
		out = append(out, obj)
	}
	return out
}

// TestKubernetesStrict: every object decodes strictly into its k8s.io/api
// type, names are DNS-1123 labels, and every probe points at a declared
// container port.
func TestKubernetesStrict(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			out, res, _ := exportTo(t, fx, goldenOptions(fx, "kubernetes", ""))
			var objs []any
			for _, f := range res.Files {
				data, err := os.ReadFile(filepath.Join(out, f.Name))
				if err != nil {
					t.Fatal(err)
				}
				objs = append(objs, kubeObjects(t, data)...)
			}
			label := func(what, name string) {
				if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
					t.Errorf("%s %q: %s", what, name, strings.Join(errs, "; "))
				}
			}
			checkPod := func(owner string, pod corev1.PodSpec) {
				for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
					label(owner+" container", c.Name)
					ports := map[int32]bool{}
					for _, p := range c.Ports {
						ports[p.ContainerPort] = true
					}
					for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.StartupProbe, c.LivenessProbe} {
						if pr == nil {
							continue
						}
						switch {
						case pr.HTTPGet != nil && !ports[pr.HTTPGet.Port.IntVal]:
							t.Errorf("%s/%s: httpGet probe on undeclared port %s", owner, c.Name, pr.HTTPGet.Port.String())
						case pr.TCPSocket != nil && !ports[pr.TCPSocket.Port.IntVal]:
							t.Errorf("%s/%s: tcpSocket probe on undeclared port %s", owner, c.Name, pr.TCPSocket.Port.String())
						}
					}
				}
			}
			for _, o := range objs {
				switch o := o.(type) {
				case *appsv1.Deployment:
					label("Deployment", o.Name)
					checkPod(o.Name, o.Spec.Template.Spec)
				case *batchv1.Job:
					label("Job", o.Name)
					checkPod(o.Name, o.Spec.Template.Spec)
				case *corev1.Service:
					label("Service", o.Name)
				case *corev1.Secret:
					label("Secret", o.Name)
				}
			}
		})
	}
}

// edge is "dependent -> dependency (how readiness is known)".
type graph map[string][]string

func (g graph) add(from, to string) {
	for _, x := range g[from] {
		if x == to {
			return
		}
	}
	g[from] = append(g[from], to)
	sort.Strings(g[from])
}

func (g graph) String() string {
	var keys []string
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s -> %s\n", k, strings.Join(g[k], ","))
	}
	return b.String()
}

// readiness says how a dependent learns that d is ready.
func readiness(in *procfile.Instance) string {
	switch {
	case in.Proc.Oneshot:
		return "done"
	case in.Check.Kind != procfile.CheckNone:
		return "check"
	}
	return "started"
}

// planGraph is the plan's: each process to each dependency, with how its
// readiness is known. Kubernetes also runs a oneshot's own dependencies
// before it, in the dependent's pod: transitive is true there.
func planGraph(pl *procfile.Plan, throughOneshots bool) graph {
	g := graph{}
	var walk func(from string, p *procfile.Process)
	walk = func(from string, p *procfile.Process) {
		for _, d := range p.Depends {
			ins := pl.InstancesOf(d)
			if len(ins) == 0 {
				continue
			}
			g.add(from, d+" "+readiness(ins[0]))
			if throughOneshots && ins[0].Proc.Oneshot {
				walk(from, ins[0].Proc)
			}
		}
	}
	for _, p := range pl.Selected {
		if len(pl.InstancesOf(p.Name)) > 0 {
			walk(p.Name, p)
		}
	}
	return g
}

// TestGraphs walks each format's output and finds the plan's dependency
// order and readiness in it.
func TestGraphs(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			pl := loadPlan(t, fx.procfile, fx.formation, fx.envFiles)
			want, wantKube := planGraph(pl, false).String(), planGraph(pl, true).String()

			// systemd: Requires= and After= on every instance, and a
			// probe in ExecStartPost= where there is a check.
			out, res, _ := exportTo(t, fx, goldenOptions(fx, "systemd", ""))
			procOf := map[string]string{}
			for _, in := range pl.Instances {
				procOf[serviceName(res.App, in)] = in.Proc.Name
			}
			sd := graph{}
			for _, f := range res.Files {
				if !strings.HasSuffix(f.Name, ".service") {
					continue
				}
				fh, _ := os.Open(filepath.Join(out, f.Name))
				opts, err := unit.Deserialize(fh)
				fh.Close()
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				after := map[string]bool{}
				for _, o := range opts {
					if o.Name == "After" {
						after[o.Value] = true
					}
				}
				for _, o := range opts {
					if o.Name != "Requires" {
						continue
					}
					if !after[o.Value] {
						t.Errorf("%s: Requires=%s without After=", f.Name, o.Value)
					}
					dep := sdReadiness(t, out, o.Value)
					sd.add(procOf[f.Name], procOf[o.Value]+" "+dep)
				}
			}
			if got := sd.String(); got != want {
				t.Errorf("systemd graph:\n%s\nplan:\n%s", got, want)
			}

			// compose: depends_on conditions.
			out, res, _ = exportTo(t, fx, goldenOptions(fx, "compose", ""))
			proj := loadCompose(t, out, res.App)
			cg := graph{}
			for name, s := range proj.Services {
				for dep, cfg := range s.DependsOn {
					if !cfg.Required {
						t.Errorf("compose: %s -> %s is not required", name, dep)
					}
					how := map[string]string{types.ServiceConditionHealthy: "check", types.ServiceConditionCompletedSuccessfully: "done", types.ServiceConditionStarted: "started"}[cfg.Condition]
					if how == "check" && proj.Services[dep].HealthCheck == nil {
						t.Errorf("compose: %s waits for %s to be healthy, which has no healthcheck", name, dep)
					}
					cg.add(name, dep+" "+how)
				}
			}
			if got := cg.String(); got != want {
				t.Errorf("compose graph:\n%s\nplan:\n%s", got, want)
			}

			// kubernetes: init containers (run-X for a oneshot, wait-X
			// probing a service that has a readiness probe).
			out, res, _ = exportTo(t, fx, goldenOptions(fx, "kubernetes", ""))
			data, _ := os.ReadFile(filepath.Join(out, res.App+".yaml"))
			kg := graph{}
			hasProbe := map[string]bool{}
			pods := map[string]corev1.PodSpec{}
			for _, o := range kubeObjects(t, data) {
				switch o := o.(type) {
				case *appsv1.Deployment:
					pods[o.Spec.Template.Spec.Containers[0].Name] = o.Spec.Template.Spec
					hasProbe[o.Spec.Template.Spec.Containers[0].Name] = o.Spec.Template.Spec.Containers[0].ReadinessProbe != nil
				case *batchv1.Job:
					pods[o.Spec.Template.Spec.Containers[0].Name] = o.Spec.Template.Spec
				}
			}
			for name, pod := range pods {
				for _, c := range pod.InitContainers {
					switch {
					case strings.HasPrefix(c.Name, "run-"):
						kg.add(name, strings.TrimPrefix(c.Name, "run-")+" done")
					case strings.HasPrefix(c.Name, "wait-"):
						dep := strings.TrimPrefix(c.Name, "wait-")
						if len(c.Command) < 3 || c.Command[1] != "probe" {
							t.Errorf("%s: %s does not run hiverun probe: %q", name, c.Name, c.Command)
						}
						how := "started"
						if hasProbe[dep] {
							how = "check"
						}
						kg.add(name, dep+" "+how)
					}
				}
			}
			// Kubernetes names are DNS labels: compare through them.
			wk := graph{}
			for from, tos := range parseGraph(wantKube) {
				for _, to := range tos {
					n, how, _ := strings.Cut(to, " ")
					wk.add(AppName(from), AppName(n)+" "+how)
				}
			}
			// A oneshot that nothing depends on is a Job without a graph.
			if got := kg.String(); got != wk.String() {
				t.Errorf("kubernetes graph:\n%s\nplan:\n%s", got, wk.String())
			}
		})
	}
}

func parseGraph(s string) graph {
	g := graph{}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		from, tos, ok := strings.Cut(line, " -> ")
		if !ok {
			continue
		}
		for _, to := range strings.Split(tos, ",") {
			g.add(from, to)
		}
	}
	return g
}

// sdReadiness reads how systemd knows that the unit is ready.
func sdReadiness(t *testing.T, dir, name string) string {
	fh, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	opts, err := unit.Deserialize(fh)
	if err != nil {
		t.Fatal(err)
	}
	how := "started"
	for _, o := range opts {
		switch {
		case o.Name == "Type" && o.Value == "oneshot":
			return "done"
		case o.Name == "ExecStartPost" && strings.Contains(o.Value, " probe "):
			how = "check"
		}
	}
	return how
}
