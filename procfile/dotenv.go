package procfile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseDotenv reads an env file the way foreman takes its values: literally.
// A '$' is never expanded (godotenv, which hiverun used before, expands
// $VAR with no switch to turn it off, so SECRET=abc$123def became abcdef).
//
// The syntax is godotenv's, which hiverun has always accepted, so no file
// that worked stops working: blank lines and '#' comments, an optional
// "export ", KEY=value or KEY: value, blanks around the separator, an
// unquoted value ending at " #", single quotes taken literally, double
// quotes with \n, \r and \X (= X) as foreman and godotenv read them, and
// quoted values that span lines.
//
// Errors name the line and, when there is one, the key; never a value.
func parseDotenv(path string, src string) (*EnvFile, error) {
	ef := &EnvFile{Path: path, Values: map[string]string{}, Lines: map[string]int{}}
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		l := strings.TrimLeft(lines[i], " \t")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			l = strings.TrimLeft(rest, " \t")
		}
		key, value, err := splitEnvLine(l)
		if err != nil {
			return nil, &Error{File: path, Line: lineNo, Msg: err.Error()}
		}
		v, used, err := envValue(key, value, lines[i+1:])
		if err != nil {
			return nil, &Error{File: path, Line: lineNo, Msg: err.Error()}
		}
		ef.Values[key] = v
		ef.Lines[key] = lineNo
		i += used
	}
	return ef, nil
}

// splitEnvLine cuts "KEY=value" or "KEY: value" and checks the key.
func splitEnvLine(l string) (key, value string, err error) {
	sep := strings.IndexByte(l, '=')
	// "KEY: value" (YAML style, as godotenv reads it) only with a blank
	// after the colon: a pasted URL (postgres://…) is not a key.
	if c := strings.Index(l, ": "); c >= 0 && (sep < 0 || c < sep) {
		sep = c
	} else if sep < 0 && strings.HasSuffix(l, ":") {
		sep = len(l) - 1
	}
	if sep < 0 {
		return "", "", fmt.Errorf(`expected KEY=value: no "=" on this line`)
	}
	key = strings.TrimRight(l[:sep], " \t")
	if key == "" {
		return "", "", fmt.Errorf(`expected KEY=value: no name before %q`, l[sep:sep+1])
	}
	for i, r := range key {
		if r == '_' || r == '.' || r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			continue
		}
		_, size := utf8.DecodeRuneInString(key[i:])
		bad := key[i : i+size]
		return "", "", fmt.Errorf("%s: %q is not allowed in a variable name (letters, digits, '_' and '.' are)", printableKey(key), bad)
	}
	return key, strings.TrimLeft(l[sep+1:], " \t"), nil
}

// printableKey shows a key as written unless it holds what would garble a
// one-line message.
func printableKey(k string) string {
	for _, r := range k {
		if r < ' ' || r == 0x7f || r == utf8.RuneError || r >= 0x80 && r < 0xa0 {
			return strconv.Quote(k)
		}
	}
	return k
}

// envValue reads the value that starts in v; a quoted one may go on over
// the following lines, and used says how many of them it took.
func envValue(key, v string, next []string) (value string, used int, err error) {
	if v == "" || (v[0] != '\'' && v[0] != '"') {
		if i := commentStart(v); i >= 0 {
			v = v[:i]
		}
		return strings.TrimRight(v, " \t"), 0, nil
	}
	q := v[0]
	text := v[1:]
	for {
		if end := closingQuote(text, q); end >= 0 {
			tail := strings.TrimLeft(text[end+1:], " \t")
			if tail != "" && tail[0] != '#' {
				return "", 0, fmt.Errorf("%s: text after the closing quote (quote the whole value, or start a comment with \" #\")", printableKey(key))
			}
			body := text[:end]
			if q == '"' {
				body = unescapeDouble(body)
			}
			return body, used, nil
		}
		if used == len(next) {
			return "", 0, fmt.Errorf("%s: unterminated quoted value: the %c after %s= is never closed", printableKey(key), q, printableKey(key))
		}
		text += "\n" + next[used]
		used++
	}
}

// commentStart is where " #comment" begins in an unquoted value, or -1.
func commentStart(v string) int {
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			return i - 1
		}
	}
	return -1
}

// closingQuote finds the quote q that ends s; inside double quotes a
// backslash escapes the next character.
func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && q == '"':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}

// unescapeDouble applies foreman's rules for a double-quoted value: \n is
// a newline, and a backslash takes the next character as it is. (\r too,
// which godotenv reads as a carriage return.)
func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
