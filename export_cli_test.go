//go:build linux

package main_test

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/export"
)

// runHiverun runs the binary in dir, bounded in time.
func runHiverun(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("hiverun %v did not end", args)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}

func writeProject(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

const exportProcfile = `# hiverun: port=8000 health=/health signal=INT
web: python3 -m http.server 8000
# hiverun: depends=web
worker: sleep 300
`

// TestExportBadInput: each mistake gives exit 2 and one line, and writes
// nothing.
func TestExportBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{"Procfile": exportProcfile, ".env": "TOKEN=abc-123\n", "afile": "x"})
	before := listDir(t, dir)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown format", []string{"export", "nomad", "-o", "out"}, "unknown export format"},
		{"no format", []string{"export"}, "name a format"},
		{"compose without image", []string{"export", "compose", "-o", "out"}, "needs --image"},
		{"kubernetes without image", []string{"export", "kubernetes", "-o", "out"}, "needs --image"},
		{"unwritable folder", []string{"export", "systemd", "-o", "afile/out"}, "-o"},
		{"output is a file", []string{"export", "systemd", "-o", "afile"}, "not a folder"},
		{"strict", []string{"export", "kubernetes", "--image", "x:1", "--strict", "-o", "out"}, "--strict: web: signal"},
		{"bad app", []string{"export", "systemd", "--app", "Bad Name", "-o", "out"}, "--app"},
		{"unknown process", []string{"export", "systemd", "-o", "out", "nosuch"}, "unknown process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runHiverun(t, dir, tc.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", r.code, r.stderr)
			}
			if lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n"); len(lines) != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr is not one line saying %q:\n%s", tc.want, r.stderr)
			}
			if strings.Contains(r.stderr, "panic") || r.stdout != "" {
				t.Errorf("stdout: %q stderr: %q", r.stdout, r.stderr)
			}
			if after := listDir(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("the project folder changed: %v, was %v", after, before)
			}
		})
	}
}

// TestExportReplaces: exporting again replaces the earlier export's files,
// removes the units of processes that no longer exist, and touches no
// file it did not write.
func TestExportReplaces(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "My_Shop")
	writeProject(t, dir, map[string]string{"Procfile": exportProcfile, ".env": "TOKEN=abc-123\n"})
	out := filepath.Join(dir, "units")
	r := runHiverun(t, dir, "export", "systemd", "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := listDir(t, out)
	want := []string{".hiverun-export-my-shop.json", "my-shop-web.1.service", "my-shop-worker.1.service", "my-shop.env", "my-shop.target"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("wrote %v, want %v", got, want)
	}
	if fi, _ := os.Stat(filepath.Join(out, "my-shop.env")); fi.Mode().Perm() != 0o600 {
		t.Errorf("env file mode %v", fi.Mode().Perm())
	}
	unitText, _ := os.ReadFile(filepath.Join(out, "my-shop-web.1.service"))
	if !strings.Contains(string(unitText), "ExecStartPost="+bin+" probe http://127.0.0.1:8000/health") {
		t.Errorf("the probe line does not name this hiverun:\n%s", unitText)
	}
	// Files that are not the export's own.
	writeProject(t, out, map[string]string{"notes.txt": "mine", "other.service": "[Service]\nExecStart=/bin/true\n"})

	writeProject(t, dir, map[string]string{"Procfile": "# hiverun: port=8000 grace=9s\nweb: python3 -m http.server 8000\n"})
	r = runHiverun(t, dir, "export", "systemd", "-o", out, "-e", "/dev/null")
	if r.code != 0 {
		t.Fatalf("second export: exit %d: %s", r.code, r.stderr)
	}
	got = listDir(t, out)
	want = []string{".hiverun-export-my-shop.json", "my-shop-web.1.service", "my-shop.target", "notes.txt", "other.service"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after the second export: %v, want %v", got, want)
	}
	unitText, _ = os.ReadFile(filepath.Join(out, "my-shop-web.1.service"))
	if !strings.Contains(string(unitText), "TimeoutStopSec=9") {
		t.Errorf("the unit was not replaced:\n%s", unitText)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "notes.txt")); string(b) != "mine" {
		t.Errorf("notes.txt was touched")
	}

	// A file of the same name that the export did not write is refused.
	out2 := filepath.Join(dir, "deploy")
	writeProject(t, out2, map[string]string{"compose.yaml": "services: {}\n"})
	r = runHiverun(t, dir, "export", "compose", "--image", "x:1", "-o", out2)
	if r.code != 2 || !strings.Contains(r.stderr, "not written by hiverun export") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out2, "compose.yaml")); string(b) != "services: {}\n" {
		t.Errorf("compose.yaml was overwritten")
	}
	if got := listDir(t, out2); len(got) != 1 {
		t.Errorf("the refused export left %v", got)
	}
}

// TestExportWarns: what a format cannot express is one warning line per
// process and key, and the export is still written.
func TestExportWarns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{"Procfile": exportProcfile})
	r := runHiverun(t, dir, "export", "kubernetes", "--image", "x:1", "-o", "k8s", "-m", "all=1,worker=3")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "warning: web: signal:") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("want one warning about web's signal, got:\n%s", r.stderr)
	}
	// The app name is the folder's, made a DNS label.
	data, err := os.ReadFile(filepath.Join(dir, "k8s", export.AppName(filepath.Base(dir))+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "replicas: 3") {
		t.Errorf("the formation is not in the manifests:\n%s", data)
	}
}

// TestProbeCLI: exit 0 when the check passes, 1 with the last answer when
// it times out, 2 for a malformed check.
func TestProbeCLI(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"probe", srv.URL + "/up", "--timeout", "5s"}, 0, "ready after"},
		{[]string{"probe", srv.URL + "/down", "--timeout", "300ms"}, 1, "HTTP 502"},
		{[]string{"probe", "tcp://" + free, "--timeout", "300ms"}, 1, "refused"},
		{[]string{"probe", "exec:exit 0", "--timeout", "5s"}, 0, "ready after"},
		{[]string{"probe", "exec:echo still booting; exit 1", "--timeout", "300ms"}, 1, "still booting"},
		{[]string{"probe", "tcp"}, 2, "needs a process's $PORT"},
		{[]string{"probe", "gopher://x"}, 2, "unknown scheme"},
		{[]string{"probe", srv.URL, "--timeout", "soon"}, 2, "--timeout"},
	} {
		r := runHiverun(t, dir, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("hiverun %v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
		if tc.code != 0 && strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("hiverun %v: more than one line on stderr:\n%s", tc.args, r.stderr)
		}
	}
}
