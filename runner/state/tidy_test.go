//go:build linux

package state

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenLeavesOthersTempsAlone: status, stop, logs and history open the
// folder while a supervisor may be between writing a temp file and
// renaming it; only the holder of the lock tidies temp files away.
func TestOpenLeavesOthersTempsAlone(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	holder, err := Open(root, true)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := holder.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	temps := []string{
		filepath.Join(holder.Path, tempPrefix+"memory.json-abc"),
		filepath.Join(holder.Path, "pids", tempPrefix+"web.1.pid-abc"),
	}
	for _, p := range temps {
		if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, create := range []bool{false, true} {
		reader, err := Open(root, create)
		if err != nil || reader == nil {
			t.Fatalf("Open(create=%v): %v %v", create, reader, err)
		}
		if ok, _ := reader.TryLock(); ok {
			t.Fatal("a second Dir took the held lock")
		}
		for _, p := range temps {
			if _, err := os.Lstat(p); err != nil {
				t.Fatalf("Open(create=%v) by a non-holder removed another writer's temp file: %v", create, err)
			}
		}
	}
	holder.Unlock()
}

// TestLockHolderTidiesTemps: what a killed writer left is removed by the
// next holder of the lock.
func TestLockHolderTidiesTemps(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d, err := Open(root, true)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d.Path, tempPrefix+"memory.json-abc"), []byte("{"), 0o600)
	os.WriteFile(filepath.Join(d.Path, "pids", tempPrefix+"web.1.pid-abc"), []byte("1"), 0o600)
	if ok, err := d.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer d.Unlock()
	for _, pat := range []string{filepath.Join(d.Path, tempPrefix+"*"), filepath.Join(d.Path, "*", tempPrefix+"*")} {
		if temps, _ := filepath.Glob(pat); len(temps) > 0 {
			t.Fatalf("temps left: %v", temps)
		}
	}
}
