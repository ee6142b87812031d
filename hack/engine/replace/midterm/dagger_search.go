package midterm

// This file is added by golden-path to the served midterm v0.2.4: it provides
// the search API that dagger v0.21.8's dagql/idtui calls (Search,
// SearchMatches, SearchSetCurrent, SearchClear, SearchMatchRows), which only a
// newer, unserved midterm commit has. See README.md beside it.

import (
	"iter"
	"sync"
)

// SearchMatch is one occurrence of the search query on the terminal.
type SearchMatch struct {
	// Row and Col locate the first cell of the match; Len is its length in cells.
	Row, Col, Len int
}

// searchState is a terminal's search: v0.2.4's Terminal has no field for it,
// so it is kept beside the terminal, keyed by its pointer.
type searchState struct {
	query   string
	matches []SearchMatch
	current int
}

var (
	searchMu     sync.Mutex
	searchStates = map[*Terminal]*searchState{}
)

// Search finds every occurrence of query in the terminal's content, row by
// row, replacing any earlier search; it returns how many there are. An empty
// query clears the search.
func (v *Terminal) Search(query string) int {
	if query == "" {
		v.SearchClear()
		return 0
	}
	needle := []rune(query)
	var matches []SearchMatch
	v.mut.Lock()
	for row, line := range v.Content {
		for col := 0; col+len(needle) <= len(line); col++ {
			if runesEqual(line[col:col+len(needle)], needle) {
				matches = append(matches, SearchMatch{Row: row, Col: col, Len: len(needle)})
				col += len(needle) - 1
			}
		}
	}
	v.mut.Unlock()

	searchMu.Lock()
	defer searchMu.Unlock()
	searchStates[v] = &searchState{query: query, matches: matches, current: -1}
	return len(matches)
}

// SearchMatches yields the matches of the last Search with their index.
func (v *Terminal) SearchMatches(yield func(int, SearchMatch) bool) {
	for i, m := range v.searchMatches() {
		if !yield(i, m) {
			return
		}
	}
}

// SearchSetCurrent marks match idx as the current one and returns its row and
// column; an index out of range clears the mark and returns -1, -1.
func (v *Terminal) SearchSetCurrent(idx int) (row, col int) {
	searchMu.Lock()
	defer searchMu.Unlock()
	st := searchStates[v]
	if st == nil || idx < 0 || idx >= len(st.matches) {
		if st != nil {
			st.current = -1
		}
		return -1, -1
	}
	st.current = idx
	return st.matches[idx].Row, st.matches[idx].Col
}

// SearchClear forgets the search.
func (v *Terminal) SearchClear() {
	searchMu.Lock()
	defer searchMu.Unlock()
	delete(searchStates, v)
}

// SearchMatchRows returns the rows holding at least one match, in order.
func (v *Terminal) SearchMatchRows() []int {
	var rows []int
	for _, m := range v.searchMatches() {
		if len(rows) == 0 || rows[len(rows)-1] != m.Row {
			rows = append(rows, m.Row)
		}
	}
	return rows
}

func (v *Terminal) searchMatches() []SearchMatch {
	searchMu.Lock()
	defer searchMu.Unlock()
	if st := searchStates[v]; st != nil {
		return st.matches
	}
	return nil
}

var _ iter.Seq2[int, SearchMatch] = (*Terminal)(nil).SearchMatches

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
