package state

import (
	"encoding/json"
	"time"
)

// A stop note tells a supervisor who asked it to stop. A signal does not
// say who sent it (Go's os/signal gives no siginfo), so whoever is about
// to signal a supervisor writes the note first, and the supervisor reads
// it when the signal arrives: its screen then says "taken over by hiverun
// (pid N)" instead of a bare "received SIGTERM".
const noteName = "stop-note"

// noteFresh bounds how old a note may be to explain a signal: the note is
// written right before the signal, so an older one belongs to a stop that
// never reached its supervisor.
const noteFresh = 30 * time.Second

type stopNote struct {
	Target int       `json:"target"` // the supervisor's pid
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// NoteStop says, for the supervisor with pid target, who is about to
// stop it: by reads as the reason it stops ("stopped by hiverun stop
// (pid 4242)").
func (d *Dir) NoteStop(target int, by string) error {
	b, err := json.Marshal(stopNote{Target: target, By: by, At: time.Now()})
	if err != nil {
		return err
	}
	return d.WriteFile(noteName, b, false)
}

// TakeStopNote returns who asked the supervisor with pid self to stop, if
// a fresh note says so, and removes the note.
func (d *Dir) TakeStopNote(self int) (string, bool) {
	b, err := d.ReadFile(noteName)
	if err != nil {
		return "", false
	}
	var n stopNote
	if json.Unmarshal(b, &n) != nil || n.Target != self || time.Since(n.At) > noteFresh || n.By == "" {
		return "", false
	}
	_ = d.Remove(noteName)
	return n.By, true
}
