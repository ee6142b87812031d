package ghactions

import (
	"strings"

	"github.com/golden-path/golden-path/pipeline/dockerfile"
)

// BaseImageLine returns the line of the FROM instruction that the image of
// stage target is built on, following stages built on earlier stages
// ("FROM base AS runtime") back to the FROM that names an image: the OS
// packages a scan finds in the image come from there. An empty target is
// the last stage, the default build target. It returns 0 when d has no FROM
// or no stage named target.
func BaseImageLine(d *dockerfile.Dockerfile, target string) int {
	type stage struct {
		line        int
		image, name string
	}
	var stages []stage
	for _, in := range d.Instructions {
		if in.Keyword != "FROM" {
			continue
		}
		var args []string
		for _, f := range strings.Fields(in.Args) {
			if !strings.HasPrefix(f, "--") { // --platform=…
				args = append(args, f)
			}
		}
		if len(args) == 0 {
			continue
		}
		st := stage{line: in.Line, image: args[0]}
		if len(args) >= 3 && strings.EqualFold(args[1], "AS") {
			st.name = strings.ToLower(args[2])
		}
		stages = append(stages, st)
	}
	if len(stages) == 0 {
		return 0
	}
	i := len(stages) - 1
	if target != "" {
		i = -1
		for j, st := range stages {
			if st.name == strings.ToLower(target) {
				i = j
			}
		}
		if i < 0 {
			return 0
		}
	}
	// Follow "FROM <earlier stage>" back; a stage can only build on one
	// before it, so this ends.
	for {
		parent := -1
		for j := i - 1; j >= 0; j-- {
			if stages[j].name != "" && stages[j].name == strings.ToLower(stages[i].image) {
				parent = j
				break
			}
		}
		if parent < 0 {
			return stages[i].line
		}
		i = parent
	}
}
