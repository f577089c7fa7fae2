package export

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/hiverun/hiverun/procfile"
)

// kubernetes writes APP.yaml (Deployments, Services, Jobs) and, apart from
// it, APP-secret.yaml: the .env values as a Secret that every container
// reads through envFrom.
func (st *stack) kubernetes() ([]File, error) {
	app := st.o.App
	if st.o.User != "" {
		st.warn("", "--user", "Kubernetes takes a numeric uid: set the pods' securityContext.runAsUser yourself")
	}
	var objs []any
	// A oneshot that something depends on runs as an init container of
	// each dependent, so no pod starts before it has run; one that nothing
	// depends on is a Job.
	dependedOn := map[string]bool{}
	for _, u := range st.units {
		for _, d := range st.deps(u) {
			dependedOn[d.p.Name] = true
		}
	}
	for _, u := range st.units {
		if len(app)+1+len(u.name) > 63 {
			return nil, badf("%s: %s-%s is longer than the 63 characters of a Kubernetes name: shorten --app", u.p.Name, app, u.name)
		}
		st.kubeWarnings(u)
		switch {
		case u.p.Oneshot && dependedOn[u.p.Name]:
			// Written into its dependents.
		case u.p.Oneshot:
			objs = append(objs, st.job(u))
		default:
			objs = append(objs, st.deployment(u))
			if u.first.PortOwned {
				objs = append(objs, st.kubeService(u))
			}
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# Written by hiverun export from " + st.pl.Procfile.File + ": changes are lost at the next export.\n")
	for i, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: %w", err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	files := []File{{Name: app + ".yaml", Data: buf.Bytes(), Mode: 0o644}}
	if len(st.secret) > 0 {
		sec := &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: st.meta(app+"-env", ""),
			Type:       corev1.SecretTypeOpaque,
			StringData: st.secret,
		}
		b, err := yaml.Marshal(sec)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: %w", err)
		}
		files = append(files, File{Name: app + "-secret.yaml", Data: append([]byte("# The env files' values: keep this file private (mode 0600).\n"), b...), Mode: 0o600})
	}
	return files, nil
}

func (st *stack) kubeWarnings(u *svc) {
	p := u.p
	if p.Signal != "TERM" {
		st.warn(p.Name, "signal", "Kubernetes always stops a container with SIGTERM")
	}
	if len(p.Clean) > 0 {
		st.warn(p.Name, "clean", "a container starts from its image, so there is nothing left over to clean")
	}
	if !p.Oneshot && isSet(p, "restart") && p.Restart != procfile.RestartAlways {
		st.warn(p.Name, "restart", "a Deployment always restarts its containers")
	}
	if p.Oneshot && p.Restart == procfile.RestartAlways {
		st.warn(p.Name, "restart", "a oneshot that always restarts never completes: written as on-failure")
	}
}

func (st *stack) labels(u *svc) map[string]string {
	return map[string]string{"app.kubernetes.io/name": st.o.App, "app.kubernetes.io/component": u.name}
}

func (st *stack) meta(name string, component string) metav1.ObjectMeta {
	l := map[string]string{"app.kubernetes.io/name": st.o.App, "app.kubernetes.io/managed-by": "hiverun"}
	if component != "" {
		l["app.kubernetes.io/component"] = component
	}
	return metav1.ObjectMeta{Name: name, Labels: l}
}

func (st *stack) objName(u *svc) string { return st.o.App + "-" + u.name }

func (st *stack) deployment(u *svc) *appsv1.Deployment {
	replicas := int32(len(u.ins))
	pod := st.podSpec(u)
	pod.RestartPolicy = corev1.RestartPolicyAlways
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: st.meta(st.objName(u), u.name),
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: st.labels(u)},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: st.labels(u)}, Spec: pod},
		},
	}
	if u.first.Check.Kind == procfile.CheckNone && u.p.Delay > 0 {
		// No check: ready once it has stayed alive this long.
		d.Spec.MinReadySeconds = seconds(u.p.Delay, 1)
	}
	return d
}

func (st *stack) job(u *svc) *batchv1.Job {
	pod := st.podSpec(u)
	pod.RestartPolicy = corev1.RestartPolicyNever
	backoff := int32(0)
	if u.p.Restart != procfile.RestartNo {
		backoff = 6
	}
	deadline := int64(seconds(u.p.Timeout, 1))
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: st.meta(st.objName(u), u.name),
		Spec: batchv1.JobSpec{
			BackoffLimit:          &backoff,
			ActiveDeadlineSeconds: &deadline,
			Template:              corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: st.labels(u)}, Spec: pod},
		},
	}
}

func (st *stack) kubeService(u *svc) *corev1.Service {
	port := int32(u.first.Port)
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: st.meta(st.objName(u), u.name),
		Spec: corev1.ServiceSpec{
			Selector: st.labels(u),
			Ports:    []corev1.ServicePort{{Port: port, TargetPort: intstr.FromInt32(port), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// podSpec is the pod of u: its container, and an init container for each
// dependency (a oneshot run, or a wait for a service to be ready).
func (st *stack) podSpec(u *svc) corev1.PodSpec {
	grace := int64(seconds(u.first.Grace, 0))
	c := st.container(u)
	if !u.p.Oneshot {
		if h := st.handler(u, &c); h != nil {
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: *h, PeriodSeconds: 10, FailureThreshold: 3, TimeoutSeconds: 3}
			// The startup budget is timeout=: one try a second.
			c.StartupProbe = &corev1.Probe{ProbeHandler: *h, InitialDelaySeconds: seconds(u.p.Delay, 0),
				PeriodSeconds: 1, FailureThreshold: seconds(u.p.Timeout, 1), TimeoutSeconds: 1}
		}
	}
	return corev1.PodSpec{
		InitContainers:                st.initContainers(u),
		Containers:                    []corev1.Container{c},
		TerminationGracePeriodSeconds: &grace,
	}
}

func (st *stack) container(u *svc) corev1.Container {
	in := u.first
	c := corev1.Container{
		Name:       u.name,
		Image:      st.o.Image,
		Command:    dollars(command(in)),
		WorkingDir: st.imageDir(in),
		TTY:        u.p.TTY,
		Env: []corev1.EnvVar{
			{Name: "PORT", Value: strconv.Itoa(in.Port)},
			// PS is the pod's name: each replica has its own.
			{Name: "PS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		},
	}
	for _, kv := range st.unitEnv(in) {
		c.Env = append(c.Env, corev1.EnvVar{Name: kv[0], Value: dollar(kv[1])})
	}
	if len(st.secret) > 0 {
		c.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: st.o.App + "-env"}}}}
	}
	if in.PortOwned {
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: int32(in.Port), Protocol: corev1.ProtocolTCP})
	}
	return c
}

// localPort is the port of a check that asks this very container, or 0.
func localPort(c procfile.Check) (port int, path, scheme string) {
	hostport := c.Addr
	if c.Kind == procfile.CheckHTTP {
		pu, err := url.Parse(c.URL)
		if err != nil {
			return 0, "", ""
		}
		hostport, path, scheme = pu.Host, pu.RequestURI(), pu.Scheme
		if pu.Port() == "" {
			hostport = net.JoinHostPort(pu.Hostname(), map[string]string{"http": "80", "https": "443"}[pu.Scheme])
		}
	}
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0, "", ""
	}
	switch host {
	case "127.0.0.1", "localhost", "::1", "0.0.0.0":
		n, _ := strconv.Atoi(p)
		return n, path, scheme
	}
	return 0, "", ""
}

// handler turns the check into a probe the kubelet runs: httpGet and
// tcpSocket on a declared container port when the check asks the
// container itself, the command for an exec check, hiverun probe for a
// check of something else.
func (st *stack) handler(u *svc, c *corev1.Container) *corev1.ProbeHandler {
	ck := u.first.Check
	switch ck.Kind {
	case procfile.CheckNone:
		return nil
	case procfile.CheckExec:
		// As written: the shell finds a variable's value in the
		// container's environment; the manifest never holds it.
		return &corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", strings.TrimPrefix(ck.String(), "exec:")}}}
	}
	if ck.Shown != "" {
		// The check names a variable (a token from .env): an httpGet path
		// would have to hold its value, so the container's shell
		// expands it for hiverun probe instead.
		return &corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", st.o.Hiverun + " probe \"" + ck.String() + "\" --timeout 3s --quiet"}}}
	}
	port, path, scheme := localPort(ck)
	if port == 0 {
		return &corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{st.o.Hiverun, "probe", ck.String(), "--timeout", "3s", "--quiet"}}}
	}
	declared := false
	for _, cp := range c.Ports {
		declared = declared || int(cp.ContainerPort) == port
	}
	if !declared {
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: int32(port), Protocol: corev1.ProtocolTCP})
	}
	if ck.Kind == procfile.CheckTCP {
		return &corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(port))}}
	}
	sch := corev1.URISchemeHTTP
	if scheme == "https" {
		sch = corev1.URISchemeHTTPS
	}
	return &corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(int32(port)), Scheme: sch}}
}

// initContainers make a pod wait for what it depends on: a oneshot
// dependency runs here (after what it depends on in turn), a long-running
// one is waited for with hiverun probe against its Service.
func (st *stack) initContainers(u *svc) []corev1.Container {
	var out []corev1.Container
	seen := map[string]bool{}
	var walk func(u *svc)
	walk = func(u *svc) {
		for _, d := range st.deps(u) {
			if seen[d.p.Name] {
				continue
			}
			seen[d.p.Name] = true
			if d.p.Oneshot {
				walk(d)
				c := st.container(d)
				c.Name = "run-" + d.name
				c.Ports = nil
				out = append(out, c)
				if isSet(d.p, "timeout") {
					st.warn(d.p.Name, "timeout", "an init container has no time limit of its own")
				}
				if d.p.Restart == procfile.RestartNo && isSet(d.p, "restart") {
					st.warn(d.p.Name, "restart", "an init container that fails is run again until it succeeds")
				}
				continue
			}
			check, ok := st.remoteCheck(d)
			if !ok {
				st.warn(u.p.Name, "depends", "%s has neither a port nor a check another pod can use: %s does not wait for it", d.p.Name, u.p.Name)
				continue
			}
			out = append(out, corev1.Container{
				Name:    "wait-" + d.name,
				Image:   st.o.Image,
				Command: []string{st.o.Hiverun, "probe", check, "--timeout", goDuration(d.p.Timeout)},
			})
		}
	}
	walk(u)
	return out
}

// remoteCheck is d's check as seen from another pod: through d's Service
// when the check asks d itself.
func (st *stack) remoteCheck(d *svc) (string, bool) {
	ck, in := d.first.Check, d.first
	svcHost := st.objName(d)
	port, path, scheme := localPort(ck)
	switch {
	case ck.Kind == procfile.CheckHTTP && port == 0, ck.Kind == procfile.CheckTCP && port == 0:
		return ck.String(), true
	case !in.PortOwned:
		return "", false
	case ck.Kind == procfile.CheckHTTP && port == in.Port:
		return scheme + "://" + net.JoinHostPort(svcHost, strconv.Itoa(port)) + path, true
	}
	if ck.Kind == procfile.CheckExec {
		st.warn(d.p.Name, "health", "an exec check runs only in its own pod: dependents wait for its port instead")
	}
	return "tcp://" + net.JoinHostPort(svcHost, strconv.Itoa(in.Port)), true
}
