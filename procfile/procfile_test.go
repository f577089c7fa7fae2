package procfile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, src string) *Procfile {
	t.Helper()
	pf, err := Parse("Procfile", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return pf
}

func TestParseForemanLines(t *testing.T) {
	src := "\uFEFFweb: bundle exec rails s -p $PORT\r\n" +
		"\r\n" +
		"# a comment\n" +
		"worker:   python3 worker.py --queue=default  \n" +
		"   indented: dropped by foreman\n" +
		"bad name: x\n" +
		"empty:\n" +
		"a-b_9: echo \"quoted: yes\" | cat" // no final newline
	pf := mustParse(t, src)
	var got [][2]string
	for _, p := range pf.Processes {
		got = append(got, [2]string{p.Name, p.Command})
	}
	want := [][2]string{
		{"web", "bundle exec rails s -p $PORT"},
		{"worker", "python3 worker.py --queue=default  "},
		{"a-b_9", "echo \"quoted: yes\" | cat"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("processes = %q, want %q", got, want)
	}
	if pf.Processes[2].Line != 8 || pf.Processes[1].Index != 1 {
		t.Errorf("line/index = %d/%d", pf.Processes[2].Line, pf.Processes[1].Index)
	}
	var lines []int
	for _, w := range pf.Warnings {
		lines = append(lines, w.Line)
	}
	// Line 1 for the byte-order mark: foreman drops that line.
	if !reflect.DeepEqual(lines, []int{1, 5, 6, 7}) {
		t.Errorf("warning lines = %v, want [1 5 6 7] (%+v)", lines, pf.Warnings)
	}
}

func TestParseAnnotations(t *testing.T) {
	src := `# hiverun: port=8000 depends=redis,db health=/health
# hiverun: timeout=30 delay=500ms grace=2s signal=sigint restart=on-failure
# hiverun: optional tty dir=./api clean="tmp/*.pid log/*.lock"
api: ./api
redis: redis-server
# hiverun: oneshot optional=false
db: ./migrate
`
	pf := mustParse(t, src)
	api := pf.Lookup("api")
	if api.Port != "8000" || !reflect.DeepEqual(api.Depends, []string{"redis", "db"}) || api.Health != "/health" {
		t.Errorf("api = %+v", api)
	}
	if api.Timeout != 30*time.Second || api.Delay != 500*time.Millisecond || api.Grace != 2*time.Second || !api.GraceSet {
		t.Errorf("durations = %v %v %v", api.Timeout, api.Delay, api.Grace)
	}
	if api.Signal != "INT" || api.Restart != RestartOnFailure || !api.Optional || !api.TTY || api.Dir != "./api" {
		t.Errorf("api = %+v", api)
	}
	if !reflect.DeepEqual(api.Clean, []string{"tmp/*.pid", "log/*.lock"}) {
		t.Errorf("clean = %q", api.Clean)
	}
	if api.KeyLine("clean") != 3 || api.KeyLine("port") != 1 || api.KeyLine("nope") != 4 {
		t.Errorf("key lines wrong")
	}
	db := pf.Lookup("db")
	if !db.Oneshot || db.Optional || db.Timeout != DefaultTimeout {
		t.Errorf("db = %+v", db)
	}
}

// TestParseErrors lists mistakes with the line they must be reported on.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown key", "# hiverun: prot=8000\nweb: x\n", 1, `unknown key "prot"`},
		{"unknown flag", "# hiverun: optinal\nweb: x\n", 1, `unknown flag "optinal"`},
		{"bad duration", "# hiverun: timeout=5x\nweb: x\n", 1, "timeout=5x"},
		{"negative duration", "# hiverun: delay=-1s\nweb: x\n", 1, "delay=-1s"},
		{"zero timeout", "# hiverun: timeout=0\nweb: x\n", 1, "more than 0"},
		{"port range", "# hiverun: port=70000\nweb: x\n", 1, "out of range"},
		{"port not number", "# hiverun: port=http\nweb: x\n", 1, "expected a port number"},
		{"unknown dep", "web: x\n# hiverun: depends=db\nworker: y\n", 2, `unknown process "db"`},
		{"self dep", "# hiverun: depends=web\nweb: x\n", 1, "depends on itself"},
		{"cycle", "# hiverun: depends=b\na: x\n# hiverun: depends=c\nb: x\n# hiverun: depends=a\nc: x\n", 5, "a -> b -> c -> a"},
		{"duplicate", "web: x\nworker: y\nweb: z\n", 3, "already defined on line 1"},
		{"dangling at end", "web: x\n# hiverun: optional\n", 2, "not directly above"},
		{"dangling before blank", "# hiverun: optional\n\nweb: x\n", 1, "not directly above"},
		{"dangling before junk", "# hiverun: optional\njunk\nweb: x\n", 1, "not directly above"},
		{"unterminated quote", "# hiverun: health=\"exec:redis-cli ping\nweb: x\n", 1, "quotes"},
		{"unknown scheme", "# hiverun: health=ftp://x:1\nweb: x\n", 1, `unknown scheme "ftp"`},
		{"bad health", "# hiverun: health=localhost\nweb: x\n", 1, "health=localhost"},
		{"tcp without port", "# hiverun: health=tcp://localhost\nweb: x\n", 1, "tcp://host:port"},
		{"empty exec", "# hiverun: health=exec:\nweb: x\n", 1, "needs a command"},
		{"dir escapes", "# hiverun: dir=../other\nweb: x\n", 1, "leaves the project"},
		{"dir absolute", "# hiverun: dir=/etc\nweb: x\n", 1, "relative"},
		{"clean escapes", "# hiverun: clean=../*.pid\nweb: x\n", 1, "leaves the project"},
		{"bad restart", "# hiverun: restart=sometimes\nweb: x\n", 1, "on-failure, always or no"},
		{"bad signal", "# hiverun: signal=STOPPLS\nweb: x\n", 1, "signal=STOPPLS"},
		{"flag with value", "# hiverun: optional=maybe\nweb: x\n", 1, "is a flag"},
		{"repeated key", "# hiverun: port=1\n# hiverun: port=2\nweb: x\n", 2, "already set on line 1"},
		{"empty annotation", "# hiverun:\nweb: x\n", 1, "empty annotation"},
		{"bad depends name", "# hiverun: depends=a,,b\nweb: x\na: x\nb: x\n", 1, "not a process name"},
		{"missing value", "# hiverun: port=\nweb: x\n", 1, "needs a value"},
		{"oneshot always", "# hiverun: oneshot restart=always\nweb: x\n", 1, "oneshot"},
		{"shell operator", "# hiverun: health=/x; rm -rf /\nweb: x\n", 1, "unexpected"},
		{"NUL byte", "web: x\x00\n", 1, "NUL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("Procfile", strings.NewReader(c.src))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) {
				t.Fatalf("got %q (line %d), want line %d containing %q", err, pe.Line, c.line, c.msg)
			}
			if s := err.Error(); strings.Contains(s, "\n") || !strings.HasPrefix(s, "Procfile:") {
				t.Fatalf("error is not one FILE:LINE line: %q", s)
			}
		})
	}
}

func TestPlanExec(t *testing.T) {
	cases := []struct {
		cmd    string
		argv   []string
		env    []string
		script string
	}{
		{cmd: "sleep 100", argv: []string{"sleep", "100"}},
		{cmd: `python3 -m http.server "8000"`, argv: []string{"python3", "-m", "http.server", "8000"}},
		{cmd: "FOO=1 BAR=x ./server --port=80", argv: []string{"./server", "--port=80"}, env: []string{"FOO=1", "BAR=x"}},
		{cmd: "python3 -m http.server $PORT", script: "exec python3 -m http.server $PORT"},
		{cmd: "cd web && npm start", script: "cd web && exec npm start"},
		{cmd: "echo hi; FOO=1 node app.js", script: "echo hi; FOO=1 exec node app.js"},
		{cmd: "a || b", script: "a || exec b"},
		{cmd: "yes | head -n 5", script: "yes | head -n 5"},
		{cmd: "sleep 1 &", script: "sleep 1 &"},
		{cmd: "(cd x; run)", script: "(cd x; run)"},
		{cmd: "echo 'a;b' ; cd x", script: "echo 'a;b' ; cd x"},
		{cmd: "for i in 1 2; do echo $i; done", script: "for i in 1 2; do echo $i; done"},
		{cmd: `echo "$(date)"`, script: `echo "$(date)"`},
		{cmd: "cat <<EOF", script: "cat <<EOF"},
		{cmd: "export A=1", script: "export A=1"},
		{cmd: `sh -c 'while :; do sleep 1; done'`, script: `exec sh -c 'while :; do sleep 1; done'`},
		{cmd: `echo "for x in y; do"; run`, script: `echo "for x in y; do"; exec run`},
	}
	for _, c := range cases {
		got := PlanExec(c.cmd)
		if !reflect.DeepEqual(got.Argv, c.argv) || !reflect.DeepEqual(got.Env, c.env) || got.Script != c.script {
			t.Errorf("PlanExec(%q) = %+v, want argv %q env %q script %q", c.cmd, got, c.argv, c.env, c.script)
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestResolveForemanPorts checks foreman's PORT and PS rules: base 5000,
// +100 per Procfile entry over the whole file, +1 per further instance.
func TestResolveForemanPorts(t *testing.T) {
	dir := t.TempDir()
	pfPath := writeFile(t, dir, "Procfile", "web: a\nworker: b\n# hiverun: port=8000\napi: c\nclock: d\n")
	pf, err := Parse(pfPath, strings.NewReader(mustRead(t, pfPath)))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		o    Options
		want map[string]int // instance -> PORT
	}{
		{"default", Options{}, map[string]int{"web.1": 5000, "worker.1": 5100, "api.1": 8000, "clock.1": 5300}},
		// Without all=, -m runs only what it names (clock: 0), as foreman.
		{"-p and formation", Options{BasePort: 3000, Formation: "web=2,worker=0,api=3"},
			map[string]int{"web.1": 3000, "web.2": 3001, "api.1": 8000, "api.2": 8001, "api.3": 8002}},
		{"PORT inherited", Options{Inherited: []string{"PORT=4000"}}, map[string]int{"web.1": 4000, "worker.1": 4100, "api.1": 8000, "clock.1": 4300}},
		{"subset keeps ports", Options{Select: []string{"clock"}}, map[string]int{"clock.1": 5300}},
		{"all=2", Options{Formation: "all=2,clock=0"}, map[string]int{"web.1": 5000, "web.2": 5001, "worker.1": 5100, "worker.2": 5101, "api.1": 8000, "api.2": 8001}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl, err := Resolve(pf, c.o)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, in := range pl.Instances {
				got[in.Name] = in.Port
				if in.Env.Values["PS"] != in.Name || in.Env.Values["PORT"] != strconv.Itoa(in.Port) {
					t.Errorf("%s env PS=%s PORT=%s", in.Name, in.Env.Values["PS"], in.Env.Values["PORT"])
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("ports = %v, want %v", got, c.want)
			}
		})
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestResolveEnvPrecedence(t *testing.T) {
	dir := t.TempDir()
	pfPath := writeFile(t, dir, "Procfile", "web: a\n")
	writeFile(t, dir, ".env", "A=from-dotenv\nB=dotenv\n")
	one := writeFile(t, dir, "one.env", "A=one\nC=one\n")
	two := writeFile(t, dir, "two.env", "# comment\nexport C=two\nPORT=7000\n")
	pf := mustParse(t, mustRead(t, pfPath))
	pf.File = pfPath
	inherited := []string{"A=inherited", "B=inherited", "D=inherited", "PYTHONUNBUFFERED=0"}

	pl, err := Resolve(pf, Options{Inherited: inherited})
	if err != nil {
		t.Fatal(err)
	}
	env := pl.Instances[0].Env
	if env.Values["A"] != "from-dotenv" || env.Values["B"] != "dotenv" || env.Values["D"] != "inherited" {
		t.Errorf("default .env: %v", env.Values)
	}
	if env.Source["A"] != filepath.Join(dir, ".env")+":1" || env.Source["D"] != "inherited" || env.Source["PORT"] != "PORT rule" {
		t.Errorf("sources: %v", env.Source)
	}
	if env.Values["PYTHONUNBUFFERED"] != "0" {
		t.Errorf("PYTHONUNBUFFERED overridden: %q", env.Values["PYTHONUNBUFFERED"])
	}

	pl, err = Resolve(pf, Options{Inherited: inherited, EnvFiles: []string{one, two}})
	if err != nil {
		t.Fatal(err)
	}
	env = pl.Instances[0].Env
	if env.Values["A"] != "one" || env.Values["B"] != "inherited" || env.Values["C"] != "two" {
		t.Errorf("-e files: %v", env.Values)
	}
	if env.Source["C"] != two+":2" {
		t.Errorf("source of C = %q", env.Source["C"])
	}
	// foreman takes the base port from PORT in an env file too.
	if pl.Instances[0].Port != 7000 || env.Values["PYTHONUNBUFFERED"] != "0" {
		t.Errorf("port = %d", pl.Instances[0].Port)
	}
}

func TestEnvErrorsHideValues(t *testing.T) {
	_, err := ParseEnv("x.env", []byte("OK=1\nSECRET=\"hunter2\nMORE=3\n"))
	var pe *Error
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Fatalf("err = %v, want line 2", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks a value: %v", err)
	}
	_, err = ParseEnv("x.env", []byte("A=1\nB=\"multi\nline\"\nthis is bad\n"))
	if !errors.As(err, &pe) || pe.Line != 5 && pe.Line != 4 {
		t.Fatalf("err = %v, want line 4", err)
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	pfPath := writeFile(t, dir, "Procfile", "web: a\n# hiverun: depends=web\nworker: b\n")
	pf := mustParse(t, mustRead(t, pfPath))
	pf.File = pfPath
	cases := []struct {
		o   Options
		msg string
	}{
		{Options{Select: []string{"wbe"}}, `unknown process "wbe"`},
		{Options{Formation: "web=x"}, "expected NAME=COUNT"},
		{Options{Formation: "db=1"}, `unknown process "db"`},
		{Options{Formation: "web=0"}, "formation leaves out"},
		{Options{EnvFiles: []string{filepath.Join(dir, "missing.env")}}, "env file not found"},
		{Options{BasePort: 65500}, "out of range"},
		{Options{Inherited: []string{"PORT=abc"}}, "PORT=abc"},
	}
	for _, c := range cases {
		_, err := Resolve(pf, c.o)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Resolve(%+v) = %v, want %q", c.o, err, c.msg)
		}
	}
	if _, err := Resolve(&Procfile{File: "Procfile"}, Options{}); err == nil {
		t.Errorf("empty Procfile accepted")
	}
}

func TestResolveChecksAndSelection(t *testing.T) {
	src := `# hiverun: oneshot
migrate: m
# hiverun: port=8000 depends=migrate health=/health
backend: b
# hiverun: depends=backend health=http://localhost:$PORT/ping
admin: a
# hiverun: port=6379 health="exec:redis-cli -p $PORT ping"
redis: r
# hiverun: health=tcp://127.0.0.1:9000 dir=sub/$PS
other: o
`
	pf := mustParse(t, src)
	pf.File = filepath.Join(t.TempDir(), "Procfile")
	// dir= must name a folder that exists.
	if err := os.MkdirAll(filepath.Join(filepath.Dir(pf.File), "sub", "other.1"), 0o700); err != nil {
		t.Fatal(err)
	}
	pl, err := Resolve(pf, Options{Select: []string{"admin", "other"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, in := range pl.Instances {
		got[in.Proc.Name] = in.Check.String()
	}
	want := map[string]string{"migrate": "", "backend": "http://127.0.0.1:8000/health",
		"admin": "http://localhost:5200/ping", "other": "tcp://127.0.0.1:9000"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checks = %v, want %v", got, want)
	}
	if d := pl.InstancesOf("other")[0].Dir; d != filepath.Join(filepath.Dir(pf.File), "sub", "other.1") {
		t.Errorf("dir = %s", d)
	}
	if order := pl.StartOrder(); !reflect.DeepEqual(order, []string{"migrate", "backend", "admin", "other"}) {
		t.Errorf("order = %v", order)
	}
	pl, _ = Resolve(pf, Options{})
	if c := pl.InstancesOf("redis")[0].Check.String(); c != "exec:redis-cli -p 6379 ping" {
		t.Errorf("redis check = %q", c)
	}
	pl, _ = Resolve(pf, Options{Select: []string{"admin"}, NoDeps: true})
	if len(pl.Instances) != 1 {
		t.Errorf("--no-deps selected %d", len(pl.Instances))
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"web: x\n",
		"# hiverun: port=8000 depends=a health=/h timeout=3s\nweb: x\na: y\n",
		"# hiverun: health=\"exec:redis-cli ping\" optional oneshot\nr: redis\n",
		"# hiverun: depends=b\na: x\n# hiverun: depends=a\nb: y\n",
		"\uFEFFweb: a\r\nbad\r\n",
		"# hiverun: clean='tmp/*' dir=./x signal=INT grace=1 restart=always\nw: z",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		pf, err := Parse("Procfile", strings.NewReader(src))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if strings.Contains(pe.Msg, "\n") {
				t.Fatalf("multi-line error: %q", pe.Msg)
			}
			return
		}
		pf.File = "/nonexistent/Procfile"
		pl, err := Resolve(pf, Options{EnvFiles: []string{}})
		if err != nil {
			return
		}
		_ = pl.StartOrder()
		for _, in := range pl.Instances {
			_ = PlanExec(in.Proc.Command)
		}
	})
}

func FuzzParseEnv(f *testing.F) {
	for _, s := range []string{"A=1\n", "export B=\"two\nlines\"\n", "# c\nC='x' # y\n", "D=${A}\n", "bad line\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		ef, err := ParseEnv(".env", []byte(src))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || strings.Contains(pe.Msg, "\n") {
				t.Fatalf("error %T %q", err, err)
			}
			return
		}
		for k := range ef.Values {
			if ef.Lines[k] < 0 {
				t.Fatalf("line of %s", k)
			}
		}
	})
}
