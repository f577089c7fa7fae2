package logs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hiverun/hiverun/runner/state"
)

// TestShowMerges: lines of several logs in time order, hiverun's own
// first among lines of the same moment, the last N only, prefixed.
func TestShowMerges(t *testing.T) {
	root := t.TempDir()
	dir, err := state.Open(root, true)
	if err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir.Path, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	stamp := func(s int) string { return at.Add(time.Duration(s)*time.Second).Format(TimeFormat) + " " }
	files := map[string]string{
		"web.1.log":   stamp(1) + "web one\n" + stamp(3) + "web three\n",
		"redis.1.log": stamp(2) + "redis two\n",
		"hiverun.log": stamp(1) + "web started\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(logs, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := Show(&out, dir, nil, Options{Lines: 3}); err != nil {
		t.Fatal(err)
	}
	want := "web     | web one\nredis   | redis two\nweb     | web three\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	if err := Show(&out, dir, nil, Options{Lines: 10}); err != nil {
		t.Fatal(err)
	}
	if want := "hiverun | web started\n" + want; out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	if err := Show(&out, dir, []string{"web"}, Options{Lines: 10}); err != nil {
		t.Fatal(err)
	}
	if want := "web | web one\nweb | web three\n"; out.String() != want {
		t.Errorf("web only: got\n%s", out.String())
	}
	if err := Show(&out, dir, []string{"nope"}, Options{Lines: 10}); err == nil {
		t.Error("a name without a log is no error")
	}
}
