//go:build unix

package runner

// shellArgs runs script the way foreman does.
func shellArgs(script string) (string, []string) {
	return "/bin/sh", []string{"sh", "-c", script}
}

const pathListSep = ':'

func isExecutable(mode uint32) bool { return mode&0o111 != 0 }
