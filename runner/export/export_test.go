package export

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hiverun/hiverun/procfile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// A golden export names this hiverun, not the test binary's path.
const goldenHiverun = "/usr/local/bin/hiverun"

// stack resolves a Procfile as `hiverun` would, with a fixed inherited
// environment so that nothing of the machine leaks into the plan.
func loadPlan(t *testing.T, procfilePath, formation string, envFiles []string) *procfile.Plan {
	t.Helper()
	abs, err := filepath.Abs(procfilePath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(abs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pf, err := procfile.Parse(abs, f)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := procfile.Resolve(pf, procfile.Options{
		EnvFiles:  envFiles,
		Inherited: []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/ci", "SECRET_OF_THE_SHELL=do-not-export"},
		Formation: formation,
		Grace:     5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// fakeLook finds every program in /usr/bin, so goldens do not depend on
// what this machine has installed.
func fakeLook(name, _, _ string) string {
	if strings.Contains(name, "/") {
		return ""
	}
	return "/usr/bin/" + name
}

type fixture struct {
	name, procfile, formation string
	app                       string // "": the folder's name
	envFiles                  []string
}

var fixtures = []fixture{
	{name: "stack", procfile: "testdata/stack/Procfile", formation: "all=1,worker=2,api=2"},
	{name: "example", procfile: "../../Procfile.example", app: "demo", envFiles: []string{"../../.env.example"}},
}

func goldenOptions(fx fixture, format, out string) Options {
	o := Options{Format: format, App: fx.app, Hiverun: goldenHiverun, OutDir: out, LookPath: fakeLook}
	if format != "systemd" {
		o.Image = "registry.example/acme/app:1.0"
		o.Hiverun = ""
	}
	return o
}

// normalise replaces the paths of this checkout and of the output folder.
func normalise(data []byte, root, out string) []byte {
	data = bytes.ReplaceAll(data, []byte(out), []byte("@OUT@"))
	return bytes.ReplaceAll(data, []byte(root), []byte("@ROOT@"))
}

// TestGolden: the exports of the test stack and of Procfile.example are
// kept as files; a change in output is a deliberate change, made with
// `go test ./runner/export -run TestGolden -update`.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		for _, format := range Formats {
			t.Run(fx.name+"/"+format, func(t *testing.T) {
				t.Parallel()
				pl := loadPlan(t, fx.procfile, fx.formation, fx.envFiles)
				res, err := Build(pl, goldenOptions(fx, format, "/srv/units"))
				if err != nil {
					t.Fatal(err)
				}
				var warns bytes.Buffer
				for _, w := range res.Warnings {
					warns.WriteString(w.String() + "\n")
				}
				files := append([]File{}, res.Files...)
				files = append(files, File{Name: "warnings.txt", Data: warns.Bytes()})
				dir := filepath.Join("testdata", "golden", fx.name, format)
				if *update {
					os.RemoveAll(dir)
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				want := map[string]bool{}
				for _, f := range files {
					got := normalise(f.Data, pl.Root, "/srv/units")
					path := filepath.Join(dir, f.Name)
					want[f.Name] = true
					if *update {
						if err := os.WriteFile(path, got, 0o644); err != nil {
							t.Fatal(err)
						}
						continue
					}
					exp, err := os.ReadFile(path)
					if err != nil {
						t.Fatalf("%v (run with -update to create it)", err)
					}
					if !bytes.Equal(got, exp) {
						t.Errorf("%s differs from the golden file (run with -update if the change is deliberate):\n%s", path, diff(string(exp), string(got)))
					}
				}
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if !want[e.Name()] {
						t.Errorf("%s: golden file no longer written", filepath.Join(dir, e.Name()))
					}
				}
			})
		}
	}
}

// diff shows the first differing line of two texts.
func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  golden: %s\n  now:    %s", i+1, x, y)
		}
	}
	return "(same lines)"
}

// exportTo builds and writes an export into a fresh folder.
func exportTo(t *testing.T, fx fixture, o Options) (string, *Result, *procfile.Plan) {
	t.Helper()
	pl := loadPlan(t, fx.procfile, fx.formation, fx.envFiles)
	out := filepath.Join(t.TempDir(), "out")
	o.OutDir = out
	res, err := Build(pl, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(out, res.App, o.Format, res.Files); err != nil {
		t.Fatal(err)
	}
	return out, res, pl
}

// TestNoSecretOutsideEnvFile: no value of the env files appears in a unit,
// compose.yaml or a manifest other than the Secret, and the files that
// hold them are 0600.
func TestNoSecretOutsideEnvFile(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		for _, format := range Formats {
			t.Run(fx.name+"/"+format, func(t *testing.T) {
				t.Parallel()
				out, res, pl := exportTo(t, fx, goldenOptions(fx, format, ""))
				var secrets []string
				for k, v := range pl.Env.Values {
					if src := pl.Env.Source[k]; src != "inherited" && len(v) >= 4 {
						secrets = append(secrets, v)
					}
				}
				if len(secrets) == 0 {
					t.Fatal("the fixture has no env-file values to look for")
				}
				empty := filepath.Join(t.TempDir(), "empty.env")
				os.WriteFile(empty, nil, 0o600)
				bare := map[string][]byte{}
				o := goldenOptions(fx, format, "")
				o.OutDir = out
				noEnv, err := Build(loadPlan(t, fx.procfile, fx.formation, []string{empty}), o)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range noEnv.Files {
					bare[f.Name] = f.Data
				}
				held := 0
				for _, f := range res.Files {
					fi, err := os.Stat(filepath.Join(out, f.Name))
					if err != nil {
						t.Fatal(err)
					}
					private := f.Name == res.App+".env" || f.Name == res.App+"-secret.yaml"
					if private {
						held++
						if fi.Mode().Perm() != 0o600 {
							t.Errorf("%s has mode %v, want 0600", f.Name, fi.Mode().Perm())
						}
						continue
					}
					data, _ := os.ReadFile(filepath.Join(out, f.Name))
					// A value may also be written by the Procfile itself
					// (a health URL, say): only more of it than an export
					// without env files has is a leak.
					base := bare[f.Name]
					for _, s := range secrets {
						if bytes.Count(data, []byte(s)) > bytes.Count(base, []byte(s)) {
							t.Errorf("%s contains the env-file value %q", f.Name, s)
						}
					}
					if bytes.Contains(data, []byte("do-not-export")) {
						t.Errorf("%s contains the inherited environment", f.Name)
					}
				}
				if held != 1 {
					t.Errorf("%d files hold the env-file values, want 1", held)
				}
			})
		}
	}
}
