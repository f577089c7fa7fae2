//go:build unix

package rotate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRotates: past its limit a file becomes NAME.1 and starts anew; a
// batch is never split across the two; one generation is kept.
func TestRotates(t *testing.T) {
	p := filepath.Join(t.TempDir(), "web.1.log")
	f, _, err := Open(p, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"aaaa\n", "bbbb\n", "cccc\n", "dddddddddddd\n", "e\n"} {
		if _, err := f.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	cur, _ := os.ReadFile(p)
	old, _ := os.ReadFile(p + ".1")
	if string(old) != "dddddddddddd\n" || string(cur) != "e\n" {
		t.Fatalf("log %q, log.1 %q", cur, old)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	if _, err := f.Write([]byte("late\n")); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}

// TestSymlinkReplaced: a symlink where the log goes is removed, and its
// target is neither written nor truncated.
func TestSymlinkReplaced(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	os.WriteFile(target, []byte("keep me\n"), 0o644)
	p := filepath.Join(dir, "hiverun.log")
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	f, replaced, err := Open(p, 0)
	if err != nil || !replaced {
		t.Fatalf("replaced %v, err %v", replaced, err)
	}
	f.Write([]byte("line\n"))
	f.Close()
	if b, _ := os.ReadFile(target); string(b) != "keep me\n" {
		t.Fatalf("the symlink's target became %q", b)
	}
	if fi, _ := os.Lstat(p); fi.Mode()&os.ModeSymlink != 0 {
		t.Fatal("still a symlink")
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), "line") {
		t.Fatalf("log %q", b)
	}
}
