package proc

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// PathCache remembers lookups for one run: a stack of 100 instances of
// the same program searches PATH once, not 100 times.
type PathCache struct {
	mu sync.Mutex
	m  map[[3]string]string
}

func (c *PathCache) Look(name, pathEnv, dir string) string {
	key := [3]string{name, pathEnv, dir}
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return p
	}
	p = lookPath(name, pathEnv, dir)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[[3]string]string{}
	}
	c.m[key] = p
	c.mu.Unlock()
	return p
}

// lookPath finds name on the child's PATH (which .env may change), not on
// hiverun's own. Relative PATH entries and names with a slash are taken
// from dir, where the child runs. It returns "" when nothing matches, and
// the command then runs through the shell, so the user sees the shell's
// own "not found" as under foreman.
func lookPath(name, pathEnv, dir string) string {
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if executable(p) {
			return p
		}
		return ""
	}
	for _, d := range strings.Split(pathEnv, string(pathListSep)) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		if p := filepath.Join(d, name); executable(p) {
			return p
		}
	}
	return ""
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && isExecutable(uint32(fi.Mode().Perm()))
}

// LookPath finds name as a child with PATH pathEnv running in dir would.
func LookPath(name, pathEnv, dir string) string { return lookPath(name, pathEnv, dir) }
