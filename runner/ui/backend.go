package ui

import "time"

// Backend is what the dashboard shows and acts on. One implementation
// reads a project's state folder and acts through the control channel
// (hiverun ui); another can sit inside the supervisor. Every method may
// be called from several goroutines at once.
type Backend interface {
	// Version changes whenever the process table or the boot may have
	// changed. It must be cheap (a file's modification time): it is asked
	// several times a second while a page is open, and not at all when
	// none is.
	Version() string
	// Snapshot is the process table now.
	Snapshot() (Snapshot, error)
	// Boot is the current boot and the total times of the boots before
	// it, oldest first; ok is false when no boot is recorded yet.
	Boot() (b Boot, trend []time.Duration, ok bool, err error)
	// Output is up to max lines of name's output written after cursor,
	// and the cursor to ask from next. Cursor 0 asks for the last max
	// lines.
	Output(name string, cursor int64, max int) ([]Line, int64, error)
	// Restart restarts one process or instance and says what was done.
	Restart(name string) (string, error)
	// Stop stops one process or instance.
	Stop(name string) (string, error)
	// StopStack stops the whole stack.
	StopStack() (string, error)
}

// Snapshot is the process table.
type Snapshot struct {
	Supervisor string    `json:"supervisor"` // one line about it: pid and uptime, or gone
	Alive      bool      `json:"alive"`
	Processes  []Process `json:"processes"`
	// NoOutput, when set, says why the page cannot show output (a
	// foreground stack writes it to its terminal only).
	NoOutput string `json:"no_output,omitempty"`
}

// Process is one instance's row. Nothing from the environment or .env
// belongs here.
type Process struct {
	Name       string   `json:"name"`
	State      string   `json:"state"`
	PID        int      `json:"pid"`
	Port       int      `json:"port"`
	HTTP       bool     `json:"http"` // the port serves HTTP: shown as a link
	Optional   bool     `json:"optional"`
	Oneshot    bool     `json:"oneshot"`
	Health     *Health  `json:"health,omitempty"`
	UptimeMS   int64    `json:"uptime_ms"`
	Restarts   int      `json:"restarts"`
	CPUPercent float64  `json:"cpu_percent"`
	RSSBytes   uint64   `json:"rss_bytes"`
	Deps       []string `json:"deps"` // instance names it waits for
}

// Health is the last check.
type Health struct {
	OK      bool      `json:"ok"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// Line is one line of a process's output.
type Line struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}
