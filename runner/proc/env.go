package proc

import (
	"runtime"
	"strings"
)

// DedupEnv keeps the last of each key in env, in the order of their first
// appearance, as exec.Cmd does (keys fold case on Windows); an entry
// without "=" is kept as it is.
func DedupEnv(env []string) []string {
	fold := runtime.GOOS == "windows"
	key := func(kv string) (string, bool) {
		// Windows keeps per-drive directories as "=C:=C:\dir": the
		// leading "=" belongs to the key.
		i := strings.Index(kv, "=")
		if i == 0 {
			i = strings.Index(kv[1:], "=") + 1
		}
		if i <= 0 {
			return "", false
		}
		if fold {
			return strings.ToUpper(kv[:i]), true
		}
		return kv[:i], true
	}
	last := make(map[string]int, len(env))
	for i, kv := range env {
		if k, ok := key(kv); ok {
			last[k] = i
		}
	}
	if len(last) == len(env) {
		return env
	}
	out := make([]string, 0, len(last))
	for i, kv := range env {
		if k, ok := key(kv); !ok || last[k] == i {
			out = append(out, kv)
		}
	}
	return out
}
