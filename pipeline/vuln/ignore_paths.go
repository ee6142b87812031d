package vuln

import (
	"fmt"
	"path"
	"strings"
)

// Path patterns of ignore entries are matched segment by segment with
// path.Match ("*", "?", "[a-z]"), plus "**" for any number of whole
// segments: the subset of Trivy's doublestar patterns that needs no extra
// dependency. Braces ({a,b}) are rejected rather than read literally.

// checkPathPattern returns why pattern cannot be used and how to fix it, or
// two empty strings when it is fine.
func checkPathPattern(pattern string) (reason, fix string) {
	switch {
	case pattern == "":
		return "the path is empty", "remove it, or write the file or folder pattern, e.g. usr/lib/python3/**"
	case strings.HasPrefix(pattern, "/"):
		return fmt.Sprintf("%q starts with /, but Trivy reports paths relative to the image root", pattern),
			fmt.Sprintf("write %s", strings.TrimLeft(pattern, "/"))
	case strings.ContainsAny(pattern, "{}"):
		return fmt.Sprintf("%q uses braces, which are not supported here", pattern),
			"list each alternative as its own path"
	}
	for _, seg := range strings.Split(pattern, "/") {
		if strings.Contains(seg, "**") && seg != "**" {
			return fmt.Sprintf("%q has ** inside a path segment", pattern),
				"use ** alone between slashes for any number of folders, e.g. usr/lib/**/libz.so*"
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Sprintf("%q is not a valid path pattern (%v)", pattern, err),
				"close every [ with ] and escape special characters with \\"
		}
	}
	return "", ""
}

// matchPathPattern reports whether name matches pattern, a pattern that
// checkPathPattern accepts.
func matchPathPattern(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pattern, name []string) bool {
	for len(pattern) > 0 {
		if pattern[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(pattern[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pattern[0], name[0]); !ok {
			return false
		}
		pattern, name = pattern[1:], name[1:]
	}
	return len(name) == 0
}
