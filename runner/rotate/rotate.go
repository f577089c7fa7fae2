// Package rotate is the one writer of hiverun's log files: hiverun.log and
// each process's log in a detached stack. A file is appended to, private
// (0600), never reached through a symlink, and capped in size: past its
// limit it becomes NAME.1 (one generation kept) and starts anew.
package rotate

import (
	"fmt"
	"os"
	"sync"
)

// File is one capped log file. Its methods may be called from several
// goroutines.
type File struct {
	mu   sync.Mutex
	path string
	max  int64 // 0: never rotated
	f    *os.File
	size int64
}

// Open opens path for appending, creating it 0600. A symlink in its place
// is removed, never followed (its target is left alone); replaced says so.
func Open(path string, max int64) (f *File, replaced bool, err error) {
	f = &File{path: path, max: max}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if err := os.Remove(path); err != nil {
			return nil, false, err
		}
		replaced = true
	}
	return f, replaced, f.open()
}

func (f *File) open() error {
	fd, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", f.path, err)
	}
	f.size = 0
	if fi, err := fd.Stat(); err == nil {
		f.size = fi.Size()
		if fi.Mode().Perm() != 0o600 {
			_ = fd.Chmod(0o600)
		}
	}
	f.f = fd
	return nil
}

// Write appends b in one write, after rotating when b would take the file
// past its limit. b is kept whole in one file: a batch of lines is never
// split across the rotation.
func (f *File) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return 0, os.ErrClosed
	}
	if f.max > 0 && f.size > 0 && f.size+int64(len(b)) > f.max {
		if err := f.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := f.f.Write(b)
	f.size += int64(n)
	return n, err
}

func (f *File) rotate() error {
	f.f.Close()
	f.f = nil
	// A rename that fails leaves the file to grow past its limit rather
	// than lose what comes next: a log must not stop.
	_ = os.Rename(f.path, f.path+".1")
	return f.open()
}

// Close closes the file; later writes fail.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}
