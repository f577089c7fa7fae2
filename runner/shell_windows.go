//go:build windows

package runner

// shellArgs runs script with cmd.exe, the shell every Windows machine has.
func shellArgs(script string) (string, []string) {
	return "cmd.exe", []string{"cmd.exe", "/C", script}
}

const pathListSep = ';'

func isExecutable(mode uint32) bool { return true }
