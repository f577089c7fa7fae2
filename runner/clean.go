package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// clean removes the instance's clean= globs before it starts. Globs are
// relative to the project folder, and a match that resolves outside it
// (through a symlinked folder) is refused rather than removed.
func (r *run) clean(in *inst) error {
	if len(in.cur.Clean) == 0 {
		return nil
	}
	root, err := filepath.EvalSymlinks(r.plan.Root)
	if err != nil {
		return fmt.Errorf("clean: %v", err)
	}
	for _, g := range in.cur.Clean {
		matches, err := filepath.Glob(filepath.Join(r.plan.Root, g))
		if err != nil {
			return fmt.Errorf("clean=%s: %v", g, err)
		}
		for _, m := range matches {
			// The folder holding the match must resolve inside the
			// project; the match itself is removed, not followed.
			dir, err := filepath.EvalSymlinks(filepath.Dir(m))
			if err != nil {
				continue
			}
			if dir != root && !strings.HasPrefix(dir, root+string(filepath.Separator)) {
				return fmt.Errorf("clean=%s: %s is outside the project folder", g, m)
			}
			if err := os.RemoveAll(filepath.Join(dir, filepath.Base(m))); err != nil {
				return fmt.Errorf("clean=%s: %v", g, err)
			}
			r.info("%s: removed %s", in.spec.Display, relTo(r.plan.Root, m))
		}
	}
	return nil
}

func relTo(root, p string) string {
	if rel, err := filepath.Rel(root, p); err == nil {
		return rel
	}
	return p
}
