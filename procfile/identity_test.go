package procfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// The fingerprint and the settings' env hash are kept in memory.json: a
// change in how they are computed would make every process of a running
// stack look changed to the next `up --detach`, and restart it. These are
// the sums as the first releases wrote them, through fmt.
func TestIdentitySumsUnchanged(t *testing.T) {
	in := &Instance{
		Proc: &Process{Name: "web", Command: "python3 -m http.server $PORT"},
		Dir:  "/srv/app", Port: 5000, TTY: false,
		Env: &Env{Values: map[string]string{"PORT": "5000", "PS": "web.1", "B": "two words", "A": "1", "TERM": "xterm", "EMPTY": ""}},
	}
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
	if want, got := hex.EncodeToString(h.Sum(nil))[:16], envHash(in.Env.Values); got != want {
		t.Errorf("envHash = %s, the first releases wrote %s", got, want)
	}
}
