// Package suggest finds the known key a mistyped one most likely means.
package suggest

import "strings"

// Closest returns the key of known that key most likely misspells, or ""
// when none is close. Case, '-', '_' and spaces are ignored ("api_version"
// means "apiVersion"); otherwise a key is close when few edits (insertions,
// deletions, substitutions, swaps of neighbours) turn one into the other, or
// when one is a prefix of the other ("mem" for "memory").
func Closest(key string, known []string) string {
	nk := Normalize(key)
	if nk == "" {
		return ""
	}
	best, bestDist := "", maxEdits(nk)+1
	for _, k := range known {
		if d := editDistance(nk, Normalize(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	if len(nk) >= 3 {
		for _, k := range known {
			nkn := Normalize(k)
			if strings.HasPrefix(nkn, nk) || strings.HasPrefix(nk, nkn) {
				return k
			}
		}
	}
	return ""
}

// maxEdits is how many edits still make a key of this length a typo.
func maxEdits(key string) int {
	switch n := len(key); {
	case n <= 4:
		return 1
	case n <= 8:
		return 2
	default:
		return 3
	}
}

// Normalize is s as Closest compares it: lower case, without '-', '_' and spaces.
func Normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ':
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// editDistance is the optimal string alignment distance between a and b:
// Levenshtein distance where swapping two neighbouring characters counts as
// one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
