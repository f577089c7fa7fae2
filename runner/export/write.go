package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// manifest remembers what an export wrote, so that the next export into
// the same folder replaces exactly those files and removes the ones it
// no longer writes, and never touches anything else.
type manifest struct {
	App    string   `json:"app"`
	Format string   `json:"format"`
	Files  []string `json:"files"`
}

// ManifestName is the file in the output folder that lists what the
// export of app wrote.
func ManifestName(app string) string { return ".hiverun-export-" + app + ".json" }

// Write puts the files into dir: all of them are written into a temporary
// folder first and renamed into place only once every one is complete, so
// a failed export leaves nothing half-written. Files of an earlier export
// of the same app that this one no longer writes are removed.
func Write(dir, app, format string, files []File) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return badf("-o %s: %v", dir, err)
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		parent := filepath.Dir(dir)
		if pi, perr := os.Stat(parent); perr != nil || !pi.IsDir() {
			return badf("-o %s: cannot be made: %s is not a folder", dir, parent)
		}
		return writeNew(dir, app, format, files)
	case err != nil:
		return badf("-o %s: %v", dir, err)
	case !fi.IsDir():
		return badf("-o %s: not a folder", dir)
	}
	old, err := readManifest(dir, app)
	if err != nil {
		return err
	}
	ours := map[string]bool{}
	for _, f := range old.Files {
		ours[f] = true
	}
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, f.Name)); err == nil && !ours[f.Name] {
			return badf("-o %s: %s is there and was not written by hiverun export of %s: move it away or choose another folder", dir, f.Name, app)
		}
	}
	tmp, err := os.MkdirTemp(dir, ".hiverun-export-")
	if err != nil {
		return badf("-o %s: cannot write there: %v", dir, unwrapPath(err))
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp, app, format, files); err != nil {
		return err
	}
	names := append(fileNames(files), ManifestName(app))
	for _, n := range names {
		if err := os.Rename(filepath.Join(tmp, n), filepath.Join(dir, n)); err != nil {
			return badf("-o %s: %v", dir, unwrapPath(err))
		}
	}
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	for _, f := range old.Files {
		if !keep[f] && filepath.Base(f) == f {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return badf("-o %s: remove %s of the earlier export: %v", dir, f, unwrapPath(err))
			}
		}
	}
	return syncDir(dir)
}

// writeNew fills a temporary folder beside dir and renames it to dir.
func writeNew(dir, app, format string, files []File) error {
	parent := filepath.Dir(dir)
	tmp, err := os.MkdirTemp(parent, ".hiverun-export-")
	if err != nil {
		return badf("-o %s: cannot write there: %v", dir, unwrapPath(err))
	}
	if err := fill(tmp, app, format, files); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return badf("-o %s: %v", dir, unwrapPath(err))
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return badf("-o %s: %v", dir, unwrapPath(err))
	}
	return syncDir(parent)
}

// fill writes the files and the manifest into tmp.
func fill(tmp, app, format string, files []File) error {
	for _, f := range files {
		if err := writeFile(filepath.Join(tmp, f.Name), f.Data, f.Mode); err != nil {
			return err
		}
	}
	m := manifest{App: app, Format: format, Files: fileNames(files)}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(tmp, ManifestName(app)), append(data, '\n'), 0o644)
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return badf("write %s: %v", filepath.Base(path), unwrapPath(err))
	}
	// The umask must not widen or narrow what was asked (0600 for secrets).
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return badf("write %s: %v", filepath.Base(path), unwrapPath(err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return badf("write %s: %v", filepath.Base(path), unwrapPath(err))
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return badf("write %s: %v", filepath.Base(path), unwrapPath(err))
	}
	if err := f.Close(); err != nil {
		return badf("write %s: %v", filepath.Base(path), unwrapPath(err))
	}
	return nil
}

func readManifest(dir, app string) (manifest, error) {
	var m manifest
	data, err := os.ReadFile(filepath.Join(dir, ManifestName(app)))
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, badf("-o %s: %v", dir, unwrapPath(err))
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, badf("-o %s: %s is not what hiverun export writes (%v): remove it to start afresh", dir, ManifestName(app), err)
	}
	return m, nil
}

func fileNames(files []File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Name
	}
	sort.Strings(out)
	return out
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	// Not every platform can sync a folder; the renames are done anyway.
	_ = d.Sync()
	return nil
}

// unwrapPath drops the path an *os.PathError repeats, since the message
// already names the folder.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", filepath.Base(pe.Path), pe.Err)
	}
	return err
}
