//go:build linux

package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlock is the fenced block that follows the line containing after.
func readmeBlock(t *testing.T, after string) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, after)
	if i < 0 {
		t.Fatalf("README.md has no %q", after)
	}
	s = s[i:]
	start := strings.Index(s, "```\n")
	if start < 0 {
		t.Fatalf("no block after %q", after)
	}
	s = s[start+4:]
	end := strings.Index(s, "```")
	if end < 0 {
		t.Fatalf("unterminated block after %q", after)
	}
	return s[:end]
}

// TestReadmeStartScriptProcfile: the Procfile that the README offers in
// place of a start script is one hiverun accepts as it is, and it says every
// setting of the script's table.
func TestReadmeStartScriptProcfile(t *testing.T) {
	t.Parallel()
	src := readmeBlock(t, "After, `Procfile`")
	dir := t.TempDir()
	for _, d := range []string{"backend", "admin", "docs"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := hiverun(t, dir, nil, "check", "--strict")
	if r.code != 0 {
		t.Fatalf("check --strict: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, key := range []string{"port=", "dir=", "health=", "depends=", "delay=", "timeout=", "optional", "oneshot"} {
		if !strings.Contains(src, key) {
			t.Errorf("the README's Procfile does not show %s", key)
		}
	}
}
