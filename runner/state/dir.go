// Package state is hiverun's memory of what it started: the .hiverun/
// folder next to the Procfile with memory.json, pidfiles, hiverun.log and
// the supervisor's lock. It never follows a symlink it did not make, refuses
// a folder owned by another user, and writes every file atomically, so a
// supervisor killed at any moment leaves something the next run can read.
package state

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// FolderName is the state folder, next to the Procfile.
const FolderName = ".hiverun"

// Error is a state folder that hiverun refuses to use.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

// Dir is an opened state folder.
type Dir struct {
	Path     string
	Warnings []string // problems found and repaired while opening
	lock     *os.File
}

// Open opens (creating it when create is true) the state folder of the
// project at root, checking that it is a real folder owned by this user
// and fixing its permissions. It removes nothing: status, stop, logs and
// history open the folder while a live supervisor may be between writing
// a temp file and renaming it. Temp files left by a killed writer are
// tidied by the next holder of the lock (TryLock).
// With create false and no folder, it returns (nil, nil).
func Open(root string, create bool) (*Dir, error) {
	d := &Dir{Path: filepath.Join(root, FolderName)}
	ok, err := d.checkFolder(d.Path, create)
	if err != nil || !ok {
		return nil, err
	}
	if _, err := d.checkFolder(filepath.Join(d.Path, "pids"), create); err != nil {
		return nil, err
	}
	if create {
		if err := d.writeGitignore(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// writeGitignore makes sure the state folder is never committed by
// accident. It is written in place, not through a temp file: whoever opens
// the folder first writes it, lock or not, and a temp file of a non-holder
// could be tidied away by the holder under its feet. Two bytes written
// once need no atomic rename; O_EXCL makes one of two racing writers win.
func (d *Dir) writeGitignore() error {
	p := filepath.Join(d.Path, ".gitignore")
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	_, err = f.WriteString("*\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// checkFolder makes sure p is a folder of ours with mode 0700.
func (d *Dir) checkFolder(p string, create bool) (bool, error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		if !create {
			return false, nil
		}
		// Mkdir does not follow a symlink that appears in between: it
		// fails, and the Lstat below reports it.
		if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return false, &Error{Path: p, Msg: err.Error()}
		}
		fi, err = os.Lstat(p)
	}
	if err != nil {
		return false, &Error{Path: p, Msg: err.Error()}
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return false, &Error{Path: p, Msg: "is a symlink; hiverun does not follow symlinks into its state folder (remove it and run again)"}
	}
	if !fi.IsDir() {
		return false, &Error{Path: p, Msg: "is not a folder (remove it and run again)"}
	}
	if err := checkOwner(p, fi); err != nil {
		return false, err
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(p, 0o700); err != nil {
			return false, &Error{Path: p, Msg: err.Error()}
		}
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s had mode %04o, set to 0700", p, fi.Mode().Perm()))
	}
	return true, nil
}

const tempPrefix = ".tmp-"

// removeTemps removes the temp files of a writer killed between writing
// and renaming. Only the holder of the lock calls it: every temp file is
// then a leftover, since only the holder writes through temp files.
func (d *Dir) removeTemps(folder string) {
	ents, err := os.ReadDir(folder)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			os.Remove(filepath.Join(folder, e.Name()))
		}
	}
}

// WriteFile replaces rel (a path inside the folder) atomically: a temp file
// beside it, written, synced when sync is set, renamed over the target
// (which replaces a symlink rather than following it), then the folder
// synced.
func (d *Dir) WriteFile(rel string, data []byte, sync bool) error {
	target := filepath.Join(d.Path, rel)
	folder := filepath.Dir(target)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tmp := filepath.Join(folder, tempPrefix+filepath.Base(target)+"-"+hex.EncodeToString(b))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", target, err)
	}
	if sync {
		syncFolder(folder)
	}
	return nil
}

// ErrSymlink is a file in the state folder that is a symlink.
var ErrSymlink = errors.New("is a symlink; hiverun does not follow it")

// ReadFile reads rel without following a symlink, and repairs a file
// with permissions wider than 0600.
func (d *Dir) ReadFile(rel string) ([]byte, error) {
	p := filepath.Join(d.Path, rel)
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s %w", p, ErrSymlink)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		if isLoop(err) {
			return nil, fmt.Errorf("%s %w", p, ErrSymlink)
		}
		return nil, err
	}
	defer f.Close()
	if fi.Mode().Perm()&0o077 != 0 {
		if err := checkOwner(p, fi); err != nil {
			return nil, err
		}
		if err := f.Chmod(0o600); err == nil {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s had mode %04o, set to 0600", p, fi.Mode().Perm()))
		}
	}
	return io.ReadAll(io.LimitReader(f, 64<<20))
}

// Remove removes rel (a symlink itself, never its target).
func (d *Dir) Remove(rel string) error {
	err := os.Remove(filepath.Join(d.Path, rel))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
