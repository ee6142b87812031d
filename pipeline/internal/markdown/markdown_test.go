package markdown

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestEscaping(t *testing.T) {
	assert.Equal(t, Code("plain"), "`plain`")
	assert.Equal(t, Code("a`b"), "``a`b``")
	assert.Equal(t, Code("`x`"), "`` `x` ``")
	assert.Equal(t, Code("two\nlines"), "`two lines`")
	assert.Equal(t, Code(""), "")
	assert.Equal(t, Cell("`a|b`"), "`a\\|b`")
	assert.Equal(t, Text("a_b *c* <d> | #e"), `a\_b \*c\* \<d\> \| \#e`)
}

func TestPlural(t *testing.T) {
	assert.Equal(t, Plural(1, "test was", "tests were"), "1 test was")
	assert.Equal(t, Plural(0, "test", "tests"), "0 tests")
	assert.Equal(t, Plural(3, "test", "tests"), "3 tests")
}
