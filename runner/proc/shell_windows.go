//go:build windows

package proc

// shellArgs runs script with cmd.exe, the shell every Windows machine has.
func ShellArgs(script string) (string, []string) {
	return "cmd.exe", []string{"cmd.exe", "/C", script}
}

const pathListSep = ';'

func isExecutable(mode uint32) bool { return true }
