//go:build unix

package proc

// shellArgs runs script the way foreman does.
func ShellArgs(script string) (string, []string) {
	return "/bin/sh", []string{"sh", "-c", script}
}

const pathListSep = ':'

func isExecutable(mode uint32) bool { return mode&0o111 != 0 }
