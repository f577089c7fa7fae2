//go:build linux

// Package bench measures hiverun against plain baselines run in the same
// process, on the same machine, at the same moment: a sequential starter
// polling every 5 ms (boot), a shell loop (spawn), and `producer | cat`
// (output). Figures are medians of several runs; the machine is small and
// noisy, so only ratios against a baseline of the same run mean anything.
package bench

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

// Build compiles hiverun into dir and returns the binary's path.
func Build(moduleRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "hiverun")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// Median of ds.
func Median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func marker() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeFile(dir, name, content string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755)
}

// Ratio is a/b.
func Ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
