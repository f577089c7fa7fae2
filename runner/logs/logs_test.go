package logs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	l := ParseLine("web.1", at.Format(TimeFormat)+" hello world")
	if !l.At.Equal(at) || l.Name != "web.1" || l.Text != "hello world" {
		t.Errorf("%+v", l)
	}
	// A line without a stamp (a foreign writer) is all text.
	if l := ParseLine("web.1", "no stamp here"); !l.At.IsZero() || l.Text != "no stamp here" {
		t.Errorf("%+v", l)
	}
}

func TestDisplayNames(t *testing.T) {
	got := DisplayNames(map[string]string{"web.1": "", "web.2": "", "redis.1": "", SelfName: ""})
	want := map[string]string{"web.1": "web.1", "web.2": "web.2", "redis.1": "redis", SelfName: SelfName}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

// TestLastLinesSince: only this boot's lines, without their stamps.
func TestLastLinesSince(t *testing.T) {
	boot := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	stamp := func(d time.Duration) string { return boot.Add(d).Format(TimeFormat) + " " }
	path := filepath.Join(t.TempDir(), "api.1.log")
	data := stamp(-time.Minute) + "an earlier boot\n" + stamp(0) + "booting\n" + stamp(time.Second) + "one\n" + stamp(2*time.Second) + "two\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := LastLinesSince(path, 20, boot); !reflect.DeepEqual(got, []string{"booting", "one", "two"}) {
		t.Errorf("since the boot: %q", got)
	}
	if got := LastLinesSince(path, 2, time.Time{}); !reflect.DeepEqual(got, []string{"one", "two"}) {
		t.Errorf("last 2: %q", got)
	}
	if got := LastLinesSince(filepath.Join(t.TempDir(), "none.log"), 5, boot); got != nil {
		t.Errorf("no file: %q", got)
	}
}
