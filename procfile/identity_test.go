package procfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// The fingerprint and the settings' env hash are kept in memory.json: a
// change in how they are computed would make every process of a running
// stack look changed to the next `up --detach`, and restart it. These are
// the sums as the first releases wrote them, through fmt.
func TestIdentitySumsUnchanged(t *testing.T) {
	check, err := ParseCheck("/health", 5001)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []*Instance{{
		Proc: &Process{Name: "web", Command: "python3 -m http.server $PORT"},
		Dir:  "/srv/app", Port: 5000, TTY: false,
		Env: &Env{Values: map[string]string{"PORT": "5000", "PS": "web.1", "B": "two words", "A": "1", "TERM": "xterm", "EMPTY": ""}},
	}, {
		Proc: &Process{Name: "api", Command: "./api"},
		Dir:  "/srv/app/api", Port: 5001, TTY: true, Check: check,
		Env: NewEnv([]string{"PS=api.1", "Z=last", "PORT=5001", "PWD=/x", "SHLVL=2", "A=é\x00"}),
	}} {
		identitySumsUnchanged(t, in)
	}
}

func identitySumsUnchanged(t *testing.T, in *Instance) {
	t.Helper()
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00%v\x00", in.Proc.Command, in.Dir, in.Port, in.Check, in.TTY)
	for _, k := range SortedKeys(in.Env.Values) {
		if !TerminalVar(k) {
			fmt.Fprintf(h, "%s=%s\x00", k, in.Env.Values[k])
		}
	}
	if want, got := hex.EncodeToString(h.Sum(nil))[:16], Fingerprint(in); got != want {
		t.Errorf("Fingerprint = %s, the first releases wrote %s", got, want)
	}
	h = sha256.New()
	for _, k := range SortedKeys(in.Env.Values) {
		if k != "PORT" && k != "PS" && !TerminalVar(k) {
			fmt.Fprintf(h, "%s=%s\x00", k, in.Env.Values[k])
		}
	}
	if want, got := hex.EncodeToString(h.Sum(nil))[:16], SettingsOf(in).Env; got != want {
		t.Errorf("envHash = %s, the first releases wrote %s", got, want)
	}
	if fp, s := Identity(in); fp != Fingerprint(in) || !reflect.DeepEqual(s, SettingsOf(in)) {
		t.Errorf("Identity = %s %+v, not Fingerprint and SettingsOf", fp, s)
	}
}

// The kept order of an environment's keys follows every way one is built
// (inherited, cloned, set, files applied), and a clone's changes never
// reach the environment it came from.
func TestEnvKeysFollowChanges(t *testing.T) {
	base := NewEnv([]string{"B=1", "D=2", "bad", "=x", "A=0"})
	base.Apply(&EnvFile{Path: ".env", Values: map[string]string{"C": "3", "A": "9"}, Lines: map[string]int{"C": 1, "A": 2}})
	one, two := base.Clone(), base.Clone()
	one.Set("PORT", "5000", "PORT rule")
	one.Set("AA", "x", "test")
	two.Set("Z", "z", "test")
	two.Set("B", "changed", "test")
	for _, c := range []struct {
		env  *Env
		want []string
	}{
		{base, []string{"A=9", "B=1", "C=3", "D=2"}},
		{one, []string{"A=9", "AA=x", "B=1", "C=3", "D=2", "PORT=5000"}},
		{two, []string{"A=9", "B=changed", "C=3", "D=2", "Z=z"}},
	} {
		if got := c.env.List(); !slices.Equal(got, c.want) {
			t.Errorf("List() = %q, want %q", got, c.want)
		}
		if got := c.env.Keys(); !slices.Equal(got, SortedKeys(c.env.Values)) {
			t.Errorf("Keys() = %q, want %q", got, SortedKeys(c.env.Values))
		}
	}
	// An Env written as a literal has no kept order: its keys are sorted
	// when asked.
	lit := &Env{Values: map[string]string{"Y": "1", "X": "2"}, Source: map[string]string{}}
	if got := lit.List(); !slices.Equal(got, []string{"X=2", "Y=1"}) {
		t.Errorf("literal List() = %q", got)
	}
}
