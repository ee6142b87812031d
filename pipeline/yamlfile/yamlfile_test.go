package yamlfile

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestFieldErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  FieldError
		want string
	}{
		{
			name: "all parts",
			err:  FieldError{File: "golden-path.yaml", Line: 4, Field: "port", Reason: "70000 is not a valid port", Fix: "set a number from 1 to 65535"},
			want: "golden-path.yaml:4: port: 70000 is not a valid port; set a number from 1 to 65535",
		},
		{
			name: "no line",
			err:  FieldError{File: "golden-path.yaml", Field: "name", Reason: "missing", Fix: "add it"},
			want: "golden-path.yaml: name: missing; add it",
		},
		{
			name: "whole file",
			err:  FieldError{File: "golden-path.yaml", Reason: "the file is empty", Fix: "fill it"},
			want: "golden-path.yaml: the file is empty; fill it",
		},
		{
			name: "no fix",
			err:  FieldError{File: "f.yaml", Line: 1, Field: "x", Reason: "bad"},
			want: "f.yaml:1: x: bad",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.err.Error(), tc.want)
		})
	}
}
