package procfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTypos(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"status", "status", 0},
		{"stauts", "status", 1}, // a swap of neighbours is one
		{"chek", "check", 1},
		{"up", "ui", 1},
		{"", "up", 2},
		{"logz", "stop", 4},
	} {
		if got := Typos(c.a, c.b); got != c.want {
			t.Errorf("Typos(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestJunkKeyShort: a line of junk where an annotation key goes (found by
// FuzzParse) is refused with its start only. The error used to repeat
// all of it, and finding "did you mean" compared it letter by letter
// with every key (a second for 200 kB); now only keys of about its
// length are compared.
func TestJunkKeyShort(t *testing.T) {
	src := "# hiverun: heal" + strings.Repeat("\xb1", 200000) + "\nweb: x\n"
	_, err := Parse("Procfile", strings.NewReader(src))
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "Procfile:1: unknown flag") {
		t.Errorf("error (%d bytes): %.200v", len(err.Error()), err)
	}
	if got := Nearest(keyOrder, strings.Repeat("x", 1000)); len(got) != 0 {
		t.Errorf("Nearest of junk = %v", got)
	}
}

// TestUnknownDependencyDidYouMean: a misspelt depends= names the process
// meant, as a misspelt annotation key does.
func TestUnknownDependencyDidYouMean(t *testing.T) {
	_, err := Parse("Procfile", strings.NewReader("web: x\n# hiverun: depends=wbe\napi: y\n"))
	if err == nil || !strings.Contains(err.Error(), `Procfile:2: api depends on unknown process "wbe"; did you mean web?`) {
		t.Errorf("error: %v", err)
	}
}

// TestErrorsStayOnOneLine: a value whose escapes unquote to a newline
// (health="\n", found by FuzzParse) is shown escaped in its error.
func TestErrorsStayOnOneLine(t *testing.T) {
	for _, src := range []string{"# hiverun: health=\\n\nweb: x\n", "# hiverun: health=\"a\\nb\"\nweb: x\n"} {
		pf, err := Parse("Procfile", strings.NewReader(src))
		if err == nil {
			_, err = Resolve(pf, Options{EnvFiles: []string{}})
		}
		if err == nil || strings.ContainsAny(err.Error(), "\n\r") || !strings.Contains(err.Error(), `\n`) {
			t.Errorf("%q: error %q", src, err)
		}
	}
}

// TestMissingProcfileDidYouMean: -f with a typo names the file meant.
func TestMissingProcfileDidYouMean(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &Flags{Procfile: filepath.Join(dir, "Procfil")}
	_, err := f.Parse()
	if err == nil || !strings.HasSuffix(err.Error(), "no such file; did you mean "+filepath.Join(dir, "Procfile")+"?") {
		t.Errorf("error: %v", err)
	}
}

// TestErrorSaysWhichLineWasDropped: `web python3 app.py` (no colon) is not
// a process, which is why `depends=web` is unknown: the error says so,
// since its warning is not shown beside an error.
func TestErrorSaysWhichLineWasDropped(t *testing.T) {
	_, err := Parse("Procfile", strings.NewReader("web python3 app.py\n# hiverun: depends=web\napi: y\n"))
	if err == nil || !strings.Contains(err.Error(), `Procfile:2: api depends on unknown process "web" (line 1 was not read as a process: no ':' on this line`) {
		t.Errorf("error: %v", err)
	}
}
