//go:build linux

package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvTakenLiterally: .env values reach the processes as written, '$'
// included, in the stack and in `run` (foreman's engine spec).
func TestEnvTakenLiterally(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		"Procfile": "# hiverun: oneshot\nshow: printf '%s|%s|%s\\n' \"$SECRET\" \"$REF\" \"$QUOTED\"\n",
		".env":     "SECRET=abc$123def\nREF=$HOME/data\nQUOTED=\"a $SECRET\"\n",
	})
	r := hiverun(t, dir, nil, "--no-color", "--no-timestamp")
	if r.code != 0 || !strings.Contains(r.stdout, "show    | abc$123def|$HOME/data|a $SECRET\n") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, nil, "run", "--", "sh", "-c", `printf '%s|%s\n' "$SECRET" "$REF"`)
	if r.code != 0 || r.stdout != "abc$123def|$HOME/data\n" {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestEnvErrorNamesKey: a bad .env line names the key and the bad
// character; the value never appears.
func TestEnvErrorNamesKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ env, want string }{
		{"A=1\nB=2\nDATABASE-URL=postgres://u:hunter2@db/app\n", `.env:3: DATABASE-URL: "-" is not allowed in a variable name`},
		{"MY KEY=hunter2\n", `.env:1: MY KEY: " " is not allowed in a variable name`},
		{"A=1\nTOKEN=\"hunter2\n", `.env:2: TOKEN: unterminated quoted value`},
	} {
		dir := project(t, map[string]string{"Procfile": "web: sleep 1\n", ".env": c.env})
		for _, args := range [][]string{{"check"}, {}} {
			r := hiverun(t, dir, nil, args...)
			if r.code != 2 || !strings.HasPrefix(r.stderr, c.want) || strings.Contains(r.stderr, "hunter2") || r.stdout != "" {
				t.Errorf("%v with %q: exit %d, stderr %q, want %q", args, c.env, r.code, r.stderr, c.want)
			}
		}
	}
}

// TestAnnotationErrorsCLI: the quote error names the unterminated value;
// a dotted name under an annotation gets foreman's reason.
func TestAnnotationErrorsCLI(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ procfile, want string }{
		{"# hiverun: port=6379 health=\"exec:redis-cli ping\nredis: redis-server\n",
			`Procfile:1: annotation: the value of health is unterminated: health="exec:redis-cli ping has no closing "`},
		{"# hiverun: port=8000\nweb.1: python3 -m http.server $PORT\n",
			`Procfile:1: annotation is not directly above a process line: line 2 is not one: invalid process name "web.1", foreman ignores this line`},
	} {
		dir := project(t, map[string]string{"Procfile": c.procfile})
		r := hiverun(t, dir, nil, "check")
		if r.code != 2 || !strings.HasPrefix(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d, stderr %q\nwant %q", r.code, r.stderr, c.want)
		}
	}
}

// TestByteOrderMarkCLI: a Procfile saved with a BOM still runs its first
// process; line 1 warns that foreman drops it, so check --strict fails.
func TestByteOrderMarkCLI(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": "\uFEFFfirst: echo from-first\n"})
	r := hiverun(t, dir, nil, "--no-color", "--no-timestamp")
	if r.code != 0 || !strings.Contains(r.stdout, "first   | from-first\n") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "Procfile:1: warning: the file starts with a UTF-8 byte-order mark: foreman drops this line") {
		t.Errorf("no warning on line 1: %q", r.stderr)
	}
	r = hiverun(t, dir, nil, "check", "--strict")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "Procfile:1: --strict: the file starts with a UTF-8 byte-order mark") {
		t.Errorf("check --strict: exit %d %q", r.code, r.stderr)
	}
}

// TestCheckedBeforeStart: a dir= folder that does not exist and two
// owners of one port fail check and start alike, before anything runs.
func TestCheckedBeforeStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, procfile string
		args           []string
		want           string
	}{
		{"missing dir", "api: sleep 30\n# hiverun: dir=./frontend\nfrontend: ls\n", nil,
			"Procfile:2: dir=./frontend: no such folder"},
		{"dir is a file", "# hiverun: dir=notes.txt\nweb: ls\n", nil, "Procfile:1: dir=notes.txt: not a folder"},
		{"same port", "# hiverun: port=8000\napi: sleep 30\nworker: sleep 30\n# hiverun: port=8000\nadmin: sleep 30\n", nil,
			"Procfile:4: port 8000 is owned twice: by admin (port=8000 on line 4) and by api (port=8000 on line 1)"},
		{"scaled onto another", "# hiverun: port=8000\napi: sleep 30\n# hiverun: port=8001\nadmin: sleep 30\n", []string{"-m", "api=3,admin=1"},
			"Procfile:3: port 8001 is owned twice: by admin (port=8001 on line 3) and by api.2 (port=8000 on line 1, +1 for instance 2)"},
		{"scaled after another", "# hiverun: port=8001\nadmin: sleep 30\n# hiverun: port=8000\napi: sleep 30\n", []string{"-m", "all=1,api=2"},
			"Procfile:3: port 8001 is owned twice: by api.2 (port=8000 on line 3, +1 for instance 2) and by admin (port=8001 on line 1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := project(t, map[string]string{"Procfile": c.procfile, "notes.txt": "x"})
			for _, cmd := range [][]string{{"check"}, {}} {
				r := hiverun(t, dir, nil, append(cmd, c.args...)...)
				if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("%v: exit %d, stdout %q, stderr %q\nwant %q", cmd, r.code, r.stdout, r.stderr, c.want)
				}
			}
		})
	}
}

// TestFormationRunsWhatItNames: -m without all= runs only what it names,
// as foreman does; what a running process depends on still runs once and
// check says why; a dependency set to 0 is an error.
func TestFormationRunsWhatItNames(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": `# hiverun: oneshot
redis: echo redis-ran
# hiverun: oneshot depends=redis
worker: echo worker-ran $PS
# hiverun: oneshot
web: echo web-ran $PS
`})
	r := hiverun(t, dir, nil, "--no-color", "--no-timestamp", "-m", "worker=1")
	if r.code != 0 || !strings.Contains(r.stdout, "| worker-ran worker.1\n") || !strings.Contains(r.stdout, "| redis-ran\n") || strings.Contains(r.stdout, "web") {
		t.Fatalf("-m worker=1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, nil, "--no-color", "--no-timestamp", "-m", "web=2")
	if r.code != 0 || !strings.Contains(r.stdout, "| web-ran web.2\n") || strings.Contains(r.stdout, "worker") || strings.Contains(r.stdout, "redis") {
		t.Fatalf("-m web=2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, nil, "check", "-m", "worker=1")
	if r.code != 0 || !strings.Contains(r.stdout, "redis runs once although -m does not name it: worker depends on it\n") {
		t.Fatalf("check -m worker=1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, nil, "-m", "worker=1,redis=0")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "Procfile:3: worker depends on redis, which the formation leaves out (redis=0)") || r.stdout != "" {
		t.Fatalf("-m worker=1,redis=0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// all= keeps foreman's meaning: every process not named.
	r = hiverun(t, dir, nil, "--no-color", "--no-timestamp", "-m", "all=1,web=0")
	if r.code != 0 || !strings.Contains(r.stdout, "worker-ran") || !strings.Contains(r.stdout, "redis-ran") || strings.Contains(r.stdout, "web-ran") {
		t.Fatalf("-m all=1,web=0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestForemanOptionFile: .foreman in the current folder sets what the
// command line leaves unset, as foreman reads it; flags win.
func TestForemanOptionFile(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		".foreman":     "---\n# the team's defaults\nprocfile: Procfile.dev\nport: 7000\nformation: 'web=2'\nenv: \"dev.env\"\ntimeout: 3\napp: shop\n",
		"Procfile.dev": "# hiverun: oneshot\nweb: echo \"web $PS $PORT $GREETING\"\n# hiverun: oneshot\nworker: echo \"worker $PS $PORT\"\n",
		"Procfile":     "other: echo wrong-procfile\n",
		"dev.env":      "GREETING=from-dev-env\n",
	})
	r := hiverun(t, dir, nil, "--no-color", "--no-timestamp")
	for _, want := range []string{"| web web.1 7000 from-dev-env\n", "| web web.2 7001 from-dev-env\n"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Fatalf("exit %d, want %q in\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "worker") || strings.Contains(r.stdout, "wrong-procfile") {
		t.Errorf("ran what .foreman leaves out:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, `.foreman:8: warning: hiverun does not read "app"`) {
		t.Errorf("no warning for a key hiverun does not read: %q", r.stderr)
	}
	r = hiverun(t, dir, nil, "check", "--json")
	if !strings.Contains(r.stdout, `"grace_ms": 3000`) {
		t.Errorf("timeout: 3 not taken:\n%s", r.stdout)
	}
	// Command-line flags win.
	r = hiverun(t, dir, nil, "--no-color", "--no-timestamp", "-p", "8000", "-m", "all=1", "-t", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "| web web.1 8000 from-dev-env\n") || !strings.Contains(r.stdout, "| worker worker.1 8100\n") {
		t.Fatalf("flags over .foreman: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, nil, "check", "--json", "-t", "2", "-f", "Procfile", "-m", "other=1")
	if !strings.Contains(r.stdout, `"grace_ms": 2000`) || !strings.Contains(r.stdout, `"name": "other"`) {
		t.Errorf("-t, -f and -m over .foreman:\n%s%s", r.stdout, r.stderr)
	}

	// root: and concurrency: (formation's older name).
	dir = project(t, map[string]string{
		".foreman":     "root: app\nconcurrency: worker=1\n",
		"app/Procfile": "# hiverun: oneshot\nweb: echo web-ran\n# hiverun: oneshot\nworker: pwd\n",
	})
	r = hiverun(t, dir, nil, "--no-color", "--no-timestamp")
	if r.code != 0 || !strings.Contains(r.stdout, "/app\n") || strings.Contains(r.stdout, "web-ran") {
		t.Fatalf("root/concurrency: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A value foreman could not use either is an error with its line.
	dir = project(t, map[string]string{".foreman": "procfile: Procfile\nport: abc\n", "Procfile": "web: sleep 30\n"})
	for _, args := range [][]string{{"check"}, {}} {
		r = hiverun(t, dir, nil, args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, ".foreman:2: port: abc: expected a port number") || r.stdout != "" {
			t.Errorf("%v with port: abc: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

// TestDotenvWhichLoaded: with -f other/Procfile, a .env in the current
// folder is not the one loaded, and one line says so.
func TestDotenvWhichLoaded(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{
		".env":           "WHERE=current-folder\n",
		"other/Procfile": "# hiverun: oneshot\nshow: echo \"where=$WHERE\"\n",
		"other/.env":     "WHERE=procfile-folder\n",
		"bare/Procfile":  "# hiverun: oneshot\nshow: echo \"where=$WHERE\"\n",
	})
	r := hiverun(t, dir, nil, "--no-color", "--no-timestamp", "-f", "other/Procfile")
	const want = "hiverun: loaded other/.env, the Procfile's folder's, not ./.env (-e .env loads this one)\n"
	if r.code != 0 || !strings.Contains(r.stdout, "| where=procfile-folder\n") || r.stderr != want {
		t.Fatalf("exit %d\n%s\nstderr %q, want %q", r.code, r.stdout, r.stderr, want)
	}
	r = hiverun(t, dir, nil, "--no-color", "--no-timestamp", "-f", "bare/Procfile")
	if r.code != 0 || !strings.Contains(r.stdout, "| where=\n") || strings.Count(r.stderr, "\n") != 1 ||
		!strings.HasPrefix(r.stderr, "hiverun: ./.env is not loaded: hiverun reads .env from the Procfile's folder (bare), which has none") {
		t.Fatalf("exit %d\n%s\nstderr %q", r.code, r.stdout, r.stderr)
	}
	// Said nowhere else: -e names the file, or the folders are one.
	for _, args := range [][]string{{"check", "-f", "other/Procfile", "-e", "other/.env"}, {"check", "-f", "./Procfile"}} {
		d := dir
		if args[2] == "./Procfile" {
			d = filepath.Join(dir, "other")
		}
		if r := hiverun(t, d, nil, args...); r.code != 0 || strings.Contains(r.stderr, ".env") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// TestCheckStartGroups: check shows the start order as the groups that
// start together.
func TestCheckStartGroups(t *testing.T) {
	t.Parallel()
	dir := project(t, map[string]string{"Procfile": `redis: redis-server --port 6399
# hiverun: oneshot depends=redis
migrate: ./migrate.sh
# hiverun: depends=migrate,redis
web: python3 -m http.server $PORT
# hiverun: depends=web,redis
worker: ./worker
static: python3 -m http.server $PORT
clock: ./clock
`})
	r := hiverun(t, dir, nil, "check")
	if r.code != 0 || !strings.Contains(r.stdout, "start order: redis, static, clock → migrate → web → worker\n") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hiverun(t, dir, nil, "check", "--json", "-m", "worker=1")
	var rep struct {
		Groups [][]string `json:"start_groups"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || fmt.Sprint(rep.Groups) != "[[redis] [migrate] [web] [worker]]" {
		t.Fatalf("start_groups %v (%v)\n%s%s", rep.Groups, err, r.stdout, r.stderr)
	}
}

// TestSecretInHealthNeverWritten: a health= that names a variable from
// .env (a token) runs with its value, and is shown and written down with
// the variable as written: check, the ready line, status, memory.json,
// the logs and the exported files. The value went everywhere.
func TestSecretInHealthNeverWritten(t *testing.T) {
	t.Parallel()
	const secret = "topsecret-QWERTY"
	port := freePort(t)
	dir := project(t, map[string]string{
		".env": "API_SECRET=" + secret + "\n",
		// A server that does not log its requests: the app's own output
		// is the app's business, not what this test is about.
		"quiet.py": "import http.server, os\nclass H(http.server.SimpleHTTPRequestHandler):\n    def log_message(self, *a): pass\nhttp.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n",
		"Procfile": fmt.Sprintf("# hiverun: port=%d health=http://127.0.0.1:$PORT/?token=$API_SECRET timeout=20s\nweb: python3 quiet.py\n# hiverun: health=\"exec:test -n $API_SECRET\"\nworker: sleep 300\n", port),
	})
	var seen strings.Builder
	r := hiverun(t, dir, nil, "check")
	seen.WriteString(r.stdout + r.stderr)
	if !strings.Contains(r.stdout, "token=${API_SECRET}") {
		t.Errorf("check does not show the variable as written:\n%s", r.stdout)
	}
	r = hiverun(t, dir, nil, "up", "--detach")
	if r.code != 0 {
		t.Fatalf("up --detach (the check must run with the value): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { hiverun(t, dir, nil, "stop") })
	seen.WriteString(r.stdout + r.stderr)
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"logs"}, {"history", "--json"}} {
		r := hiverun(t, dir, nil, args...)
		seen.WriteString(r.stdout + r.stderr)
	}
	for _, f := range []string{"export systemd -o sd", "export compose --image x:1 -o co", "export kubernetes --image x:1 -o k8"} {
		r := hiverun(t, dir, nil, strings.Fields(f)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", f, r.code, r.stderr)
		}
		seen.WriteString(r.stdout + r.stderr)
	}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		// .env itself, and the exported env files and Secret, are where
		// the values belong (0600, for the service manager).
		if err == nil && !fi.IsDir() && filepath.Base(p) != ".env" && !strings.HasSuffix(p, ".env") && !strings.HasSuffix(p, "-secret.yaml") {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds the secret", strings.TrimPrefix(p, dir))
			}
		}
		return nil
	})
	if strings.Contains(seen.String(), secret) {
		t.Errorf("the secret was printed:\n%s", seen.String())
	}
}
