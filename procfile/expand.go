package procfile

import (
	"os"
	"strconv"
)

// expand replaces $VAR and ${VAR} from env; unknown variables become "".
func expand(s string, env *Env) string {
	return os.Expand(s, func(k string) string { return env.Values[k] })
}

// expandShown is s as it may be shown and written down (screen, status,
// memory.json, logs, exported files): only PORT and PS are replaced, every
// other variable stays as written, since its value may be a secret from an
// env file.
func expandShown(s string, in *Instance) string {
	return os.Expand(s, func(k string) string {
		switch k {
		case "PORT":
			return strconv.Itoa(in.Port)
		case "PS":
			return in.Name
		}
		return "${" + k + "}"
	})
}
