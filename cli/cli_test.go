package cli

import (
	"errors"
	"slices"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func TestNotACommand(t *testing.T) {
	commands := []string{"check", "env", "help", "start", "status", "stop", "ui", "up"}
	for _, c := range []struct {
		word string
		rest []string
		want string
	}{
		{"ps", nil, "ps is not a command, nor a process in Procfile: use hiverun status"},
		{"kill", []string{"web"}, "kill is not a command, nor a process in Procfile: use hiverun stop web"},
		{"connect", nil, "connect is not a command, nor a process in Procfile: use hiverun logs -f NAME (the output of a detached stack)"},
		{"stauts", []string{"--json"}, "stauts is not a command, nor a process in Procfile: did you mean hiverun status --json?"},
		{"sta", nil, "sta is not a command, nor a process in Procfile: did you mean hiverun start or hiverun status?"},
		{"uo", nil, ""}, // too short for a typo, and it begins no command
		{"backend", nil, ""},
	} {
		if got := NotACommand(c.word, c.rest, commands, "Procfile"); got != c.want {
			t.Errorf("NotACommand(%q, %q) = %q, want %q", c.word, c.rest, got, c.want)
		}
	}
}

func TestSpellings(t *testing.T) {
	root := &cobra.Command{Use: "hiverun"}
	root.PersistentFlags().StringP("procfile", "f", "", "")
	root.PersistentFlags().String("root", "", "")
	root.PersistentFlags().IntP("port", "p", 0, "")
	up := &cobra.Command{Use: "up"}
	up.Flags().BoolP("detach", "d", false, "")
	logs := &cobra.Command{Use: "logs"}
	logs.Flags().Bool("follow", false, "")
	run := &cobra.Command{Use: "run"}
	root.AddCommand(up, logs, run)
	for _, c := range []struct{ in, want []string }{
		{[]string{"-d", "app", "check"}, []string{"--root", "app", "check"}},
		{[]string{"-d=app"}, []string{"--root=app"}},
		{[]string{"up", "-d"}, []string{"up", "-d"}},
		{[]string{"logs", "-f", "web"}, []string{"logs", "--follow", "web"}},
		{[]string{"-f", "logs", "logs", "-f"}, []string{"-f", "logs", "logs", "--follow"}},
		{[]string{"run", "psql", "-d", "app"}, []string{"run", "psql", "-d", "app"}},
		{[]string{"--", "-d"}, []string{"--", "-d"}},
		{[]string{"logs", "web,worker"}, []string{"logs", "web", "worker"}},
		{[]string{"web,", "-p", "5000"}, []string{"web", "-p", "5000"}},
		{[]string{"run", "echo", "a,b"}, []string{"run", "echo", "a,b"}},
	} {
		if got := Spellings(root, c.in); !slices.Equal(got, c.want) {
			t.Errorf("Spellings(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFlagMessage(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Int("port", 0, "")
	err := fs.Parse([]string{"--port", "abc"})
	if got := FlagMessage(err); got != "--port abc: not a number" {
		t.Errorf("FlagMessage(%v) = %q", err, got)
	}
	if got := FlagMessage(errors.New("unknown flag: --x")); got != "unknown flag: --x" {
		t.Errorf("FlagMessage kept %q", got)
	}
}
