package procfile

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Words close to what was meant: a command, a process, an annotation key.

// Nearest are the names nearest to word: those one typo away
// (two for longer words; a swap of two letters is one), else those it
// begins. Short words need a closer match: "up" is one letter from "ui".
func Nearest(names []string, word string) []string {
	limit := min(2, len(word)/3)
	var best []string
	bestDist := limit + 1
	var prefixed []string
	lower := strings.ToLower(word)
	for _, name := range names {
		d := limit + 1
		// Words whose lengths differ by more than the limit are further
		// apart than it: a long line of junk is not compared letter by
		// letter with every name (a 200 kB one took a second).
		if abs(len(lower)-len(name)) <= limit {
			d = Typos(lower, name)
		}
		switch {
		case d > limit:
		case d < bestDist:
			best, bestDist = []string{name}, d
		case d == bestDist:
			best = append(best, name)
		}
		if len(word) >= 2 && strings.HasPrefix(name, lower) {
			prefixed = append(prefixed, name)
		}
	}
	if len(best) > 0 {
		return best
	}
	return prefixed
}

// Typos is the optimal string alignment distance: insertions, deletions,
// substitutions and swaps of neighbours, each counting one.
func Typos(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// DidYouMean is "; did you mean A or B?" for the names nearest to word,
// or "" when none is near.
func DidYouMean(names []string, word string) string { return meant(Nearest(names, word)) }

// meant is "; did you mean A or B?", or "" for none.
func meant(near []string) string {
	if len(near) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(near, " or ") + "?"
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Clip shortens what a user wrote for an error message: a line of junk
// is named by its start, not repeated whole.
func Clip(s string) string {
	const most = 40
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// OneLine keeps an error on one line: a newline or other control
// character that came from a value (health="\n" unquotes to one) is
// written escaped.
func OneLine(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
