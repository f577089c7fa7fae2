package state

import (
	"encoding/json"
	"testing"
	"time"
)

// TestStopNote: a note explains a stop only to the supervisor it names,
// only while fresh, and only once; a stale note is not taken for a later
// signal's reason.
func TestStopNote(t *testing.T) {
	d, err := Open(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.TakeStopNote(100); ok {
		t.Fatal("a note without one written")
	}
	if err := d.NoteStop(100, "stopped by hiverun stop (pid 7)"); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.TakeStopNote(101); ok {
		t.Fatal("a note taken by another supervisor than it names")
	}
	if by, ok := d.TakeStopNote(100); !ok || by != "stopped by hiverun stop (pid 7)" {
		t.Fatalf("TakeStopNote = %q, %v", by, ok)
	}
	if _, ok := d.TakeStopNote(100); ok {
		t.Fatal("a note taken twice")
	}
	old, _ := json.Marshal(stopNote{Target: 100, By: "taken over", At: time.Now().Add(-time.Hour)})
	if err := d.WriteFile(noteName, old, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.TakeStopNote(100); ok {
		t.Fatal("a stale note taken")
	}
}
