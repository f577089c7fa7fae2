package procfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func baseSettings() Settings {
	return Settings{
		Command: "python3 app.py", Dir: "/p", Port: 5000, Check: "tcp://127.0.0.1:5000",
		Restart: RestartNo, Grace: 5 * time.Second, Signal: "TERM", Timeout: DefaultTimeout,
		Depends: []string{"db", "redis"}, Clean: []string{"tmp/*.pid"}, Env: "0123456789abcdef",
	}
}

// diffCases holds one edit of every field of Settings: the key a message
// names, whether it applies live, and how the change reads.
var diffCases = []struct {
	field string
	key   string
	live  bool
	edit  func(s *Settings)
	want  string
}{
	{"Command", "command", false, func(s *Settings) { s.Command = "python3 app2.py" }, "command changed"},
	{"Env", "env", false, func(s *Settings) { s.Env = "fedcba9876543210" }, "env changed"},
	{"Dir", "dir", false, func(s *Settings) { s.Dir = "/p/web" }, "dir changed"},
	{"Port", "port", false, func(s *Settings) { s.Port = 5001 }, "port changed"},
	{"Check", "health", false, func(s *Settings) { s.Check = "http://127.0.0.1:5000/up" }, "health changed"},
	{"TTY", "tty", false, func(s *Settings) { s.TTY = true }, "tty changed"},
	{"Restart", "restart", true, func(s *Settings) { s.Restart = RestartAlways }, "restart=always"},
	{"Grace", "grace", true, func(s *Settings) { s.Grace = 10 * time.Second }, "grace=10s"},
	{"Signal", "signal", true, func(s *Settings) { s.Signal = "INT" }, "signal=INT"},
	{"Timeout", "timeout", false, func(s *Settings) { s.Timeout = 30 * time.Second }, "timeout changed"},
	{"Delay", "delay", false, func(s *Settings) { s.Delay = 2 * time.Second }, "delay changed"},
	{"Optional", "optional", false, func(s *Settings) { s.Optional = true }, "optional changed"},
	{"Oneshot", "oneshot", false, func(s *Settings) { s.Oneshot = true }, "oneshot changed"},
	{"Depends", "depends", false, func(s *Settings) { s.Depends = []string{"db"} }, "depends changed"},
	{"Clean", "clean", false, func(s *Settings) { s.Clean = append(s.Clean, "tmp/sock") }, "clean changed"},
}

func TestDiffEveryKey(t *testing.T) {
	t.Parallel()
	base := baseSettings()
	if c := Diff(base, baseSettings()); c.Changed() || c.String() != "" {
		t.Fatalf("Diff of equal settings = %+v", c)
	}
	for _, tc := range diffCases {
		s := baseSettings()
		tc.edit(&s)
		c := Diff(base, s)
		if !reflect.DeepEqual(c.Keys, []string{tc.key}) || c.Restart == tc.live || !c.Changed() {
			t.Errorf("%s: Diff = %+v, want key %s, restart %v", tc.field, c, tc.key, !tc.live)
		}
		if got := c.String(); got != tc.want {
			t.Errorf("%s: String() = %q, want %q", tc.field, got, tc.want)
		}
		if LiveKey(tc.key) != tc.live {
			t.Errorf("LiveKey(%s) = %v", tc.key, !tc.live)
		}
		if tc.live != (len(c.Live) == 1) {
			t.Errorf("%s: Live = %q", tc.field, c.Live)
		}
		// Back again is a change too.
		if back := Diff(s, base); !reflect.DeepEqual(back.Keys, []string{tc.key}) {
			t.Errorf("%s: Diff back = %+v", tc.field, back)
		}
	}
}

// TestDiffCoversEverySetting: a field added to Settings must get a row in
// diffCases (saying whether it applies live) and a key in Diff.
func TestDiffCoversEverySetting(t *testing.T) {
	t.Parallel()
	rows := map[string]bool{}
	for _, tc := range diffCases {
		rows[tc.field] = true
	}
	typ := reflect.TypeOf(Settings{})
	keys := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !rows[f.Name] {
			t.Errorf("Settings.%s has no row in diffCases: say which key it is and whether it applies live", f.Name)
		}
		// Whatever Diff's table says, a change of this field alone must be
		// seen, and under one key of its own.
		base := baseSettings()
		edited := baseSettings()
		v := reflect.ValueOf(&edited).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.ValueOf("x")))
		default:
			t.Fatalf("Settings.%s: kind %s: teach this test to change it", f.Name, v.Kind())
		}
		c := Diff(base, edited)
		if len(c.Keys) != 1 {
			t.Errorf("changing only Settings.%s: Diff keys %q, want exactly one", f.Name, c.Keys)
			continue
		}
		if keys[c.Keys[0]] {
			t.Errorf("Settings.%s shares key %q with another field", f.Name, c.Keys[0])
		}
		keys[c.Keys[0]] = true
	}
	if len(settingKeys) != typ.NumField() {
		t.Errorf("settingKeys has %d keys, Settings %d fields", len(settingKeys), typ.NumField())
	}
}

func TestDiffListsAreSets(t *testing.T) {
	t.Parallel()
	a, b := baseSettings(), baseSettings()
	b.Depends = []string{"redis", "db"}
	a.Clean, b.Clean = nil, []string{}
	if c := Diff(a, b); c.Changed() {
		t.Fatalf("order or nil-vs-empty counted as a change: %+v", c)
	}
}

func TestDiffSeveralKeys(t *testing.T) {
	t.Parallel()
	a, b := baseSettings(), baseSettings()
	b.Grace, b.Signal = 90*time.Second, "INT"
	c := Diff(a, b)
	if c.Restart || c.String() != "grace=1m30s, signal=INT" {
		t.Fatalf("live only: %+v %q", c, c.String())
	}
	b.Command = "other"
	c = Diff(a, b)
	if !c.Restart || c.String() != "command changed, grace=1m30s, signal=INT" {
		t.Fatalf("with a restart: %+v %q", c, c.String())
	}
}

func TestStackChangeString(t *testing.T) {
	t.Parallel()
	base := baseSettings()
	edit := func(f func(s *Settings)) Change {
		s := baseSettings()
		f(&s)
		return Diff(base, s)
	}
	cmd := edit(func(s *Settings) { s.Command = "x" })
	env := edit(func(s *Settings) { s.Env = "x" })
	grace := edit(func(s *Settings) { s.Grace = 10 * time.Second })
	sig := edit(func(s *Settings) { s.Signal = "INT" })
	both := edit(func(s *Settings) { s.Grace, s.Restart = 2*time.Minute, RestartOnFailure })
	cases := []struct {
		in   StackChange
		want string
	}{
		{nil, "nothing changed"},
		{StackChange{{Name: "web", Change: Diff(base, base)}}, "nothing changed"},
		{StackChange{{Name: "worker", Change: cmd}, {Name: "web", Change: grace}},
			"restarted worker (command changed); applied grace=10s to web"},
		{StackChange{{Name: "web", Change: grace}, {Name: "worker", Change: cmd}, {Name: "api", Change: env}, {Name: "api2", Change: sig}},
			"restarted worker (command changed), api (env changed); applied grace=10s to web, signal=INT to api2"},
		{StackChange{{Name: "web", Change: both}}, "applied restart=on-failure grace=2m to web"},
		{StackChange{{Name: "web", Change: grace}}, "applied grace=10s to web"},
		{StackChange{{Name: "worker", Change: Change{Restart: true, Why: "not running"}}}, "restarted worker (not running)"},
		{StackChange{{Name: "site", Change: Change{Restart: true}}}, "restarted site"},
	}
	for _, tc := range cases {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0: "0s", 500 * time.Millisecond: "500ms", 10 * time.Second: "10s",
		2 * time.Minute: "2m", 90 * time.Second: "1m30s", time.Hour: "1h", 90 * time.Minute: "1h30m",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestSettingsOfProcfileEdits: each annotation edited in a real Procfile
// (and .env) is seen under its key; the settings survive memory.json.
func TestSettingsOfProcfileEdits(t *testing.T) {
	t.Parallel()
	const base = "db: sleep 300\n# hiverun: port=7000\napp: serve\n"
	settings := func(t *testing.T, procfile, env string) Settings {
		t.Helper()
		dir := t.TempDir()
		// dir= must name a folder that exists.
		if err := os.Mkdir(filepath.Join(dir, "web"), 0o700); err != nil {
			t.Fatal(err)
		}
		if env != "" {
			if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		pf := mustParse(t, procfile)
		pl, err := Resolve(pf, Options{Root: dir, Inherited: []string{"HOME=/h"}, Grace: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s := SettingsOf(pl.InstancesOf("app")[0])
		// Only the folder differs between two temporary projects.
		s.Dir = strings.TrimPrefix(s.Dir, dir)
		return s
	}
	old := settings(t, base, "SECRET=hunter2\n")
	for _, tc := range []struct {
		annotation, env string
		want            string
	}{
		{"port=7000", "SECRET=hunter2\n", ""},
		{"port=7001", "SECRET=hunter2\n", "port changed, health changed"},
		{"port=7000 health=/up", "SECRET=hunter2\n", "health changed"},
		{"port=7000", "SECRET=hunter3\n", "env changed"},
		{"port=7000 dir=web", "SECRET=hunter2\n", "dir changed"},
		{"port=7000 tty", "SECRET=hunter2\n", "tty changed"},
		{"port=7000 restart=always", "SECRET=hunter2\n", "restart=always"},
		{"port=7000 restart=no", "SECRET=hunter2\n", ""},
		{"port=7000 grace=10", "SECRET=hunter2\n", "grace=10s"},
		{"port=7000 signal=sigint", "SECRET=hunter2\n", "signal=INT"},
		{"port=7000 timeout=30s", "SECRET=hunter2\n", "timeout changed"},
		{"port=7000 delay=1s", "SECRET=hunter2\n", "delay changed"},
		{"port=7000 optional", "SECRET=hunter2\n", "optional changed"},
		{"port=7000 oneshot", "SECRET=hunter2\n", "health changed, oneshot changed"},
		{"port=7000 depends=db", "SECRET=hunter2\n", "depends changed"},
		{"port=7000 clean=tmp/*.pid", "SECRET=hunter2\n", "clean changed"},
	} {
		src := strings.Replace(base, "port=7000", tc.annotation, 1)
		if got := Diff(old, settings(t, src, tc.env)).String(); got != tc.want {
			t.Errorf("%s, .env %q: %q, want %q", tc.annotation, tc.env, got, tc.want)
		}
	}
	// A command edit, and memory.json's round trip.
	s := settings(t, strings.Replace(base, "serve", "serve --fast", 1), "SECRET=hunter2\n")
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "hunter") {
		t.Fatalf("an env value in the settings: %s", b)
	}
	var back Settings
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if c := Diff(s, back); c.Changed() {
		t.Fatalf("round trip changed %v: %s", c.Keys, b)
	}
	if got := Diff(old, back).String(); got != "command changed" {
		t.Fatalf("command edit: %q", got)
	}
}
