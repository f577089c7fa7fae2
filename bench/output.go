//go:build linux

// Output: the cost of prefixing and forwarding lines, against a pipe to cat.

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// producer writes lines of 100 bytes (99 + newline).
const producer = `import sys
n = int(sys.argv[1])
line = ("x" * 90 + "%09d\n")
w = sys.stdout.write
for i in range(n):
    w(line % i)
`

// OutputResult compares moving n lines through hiverun and through cat.
type OutputResult struct {
	Hiverun, Baseline time.Duration
	Lines             int // lines of the producer found in hiverun's output
}

// Output measures n lines of 100 bytes from one process reaching a file,
// through hiverun and through `producer | cat > file`.
func Output(bin string, n int) (OutputResult, error) {
	var res OutputResult
	dir, err := os.MkdirTemp("", "hiverun-bench-output")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	writeFile(dir, "producer.py", producer)
	writeFile(dir, "Procfile", fmt.Sprintf("# hiverun: oneshot\nprod: python3 producer.py %d\n", n))

	t0 := time.Now()
	base := exec.Command("sh", "-c", fmt.Sprintf("python3 producer.py %d | cat > base.out", n))
	base.Dir = dir
	if out, err := base.CombinedOutput(); err != nil {
		return res, fmt.Errorf("baseline: %v %s", err, out)
	}
	res.Baseline = time.Since(t0)

	f, err := os.Create(filepath.Join(dir, "hiverun.out"))
	if err != nil {
		return res, err
	}
	defer f.Close()
	cmd := exec.Command(bin, "--no-color", "--no-timestamp")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	t0 = time.Now()
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("hiverun: %v", err)
	}
	res.Hiverun = time.Since(t0)
	f.Seek(0, io.SeekStart)
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		l, err := br.ReadSlice('\n')
		if bytes.HasPrefix(l, []byte("prod    | ")) && len(l) == len("prod    | ")+100 {
			res.Lines++
		}
		if err != nil {
			break
		}
	}
	return res, nil
}
