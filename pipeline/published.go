package pipeline

import (
	"fmt"
	"strings"
)

// Published is what a push left in the registry (publish.Push returns it). Its
// JSON form is what the deploy module's Published.result holds.
type Published struct {
	// Ref is the image by digest, <registry>/<repository>@sha256:…: what
	// manifests and deploys name.
	Ref string `json:"ref"`
	// Digest is the manifest digest.
	Digest string `json:"digest"`
	// Tags are the tags that now point to Digest, the commit SHA first.
	Tags []string `json:"tags"`
	// Existed is true when the SHA tag already pointed to this digest, so
	// nothing was uploaded.
	Existed bool `json:"existed,omitempty"`
	// Reused is true when the SHA tag pointed to another image built from
	// the same source (its LabelSourceDigest matches): a re-run whose
	// rebuild came out different (a moved base image tag, another day's
	// RUN output). That image is the result; the rebuild was not pushed.
	Reused bool `json:"reused,omitempty"`
	// Attempts is how many tries the push took (1 without a retry).
	Attempts int `json:"attempts,omitempty"`
}

// Summary says in one line what the push did, for a stage table: pushed,
// already there, or reused, and the tags.
func (r Published) Summary() string {
	var what string
	switch {
	case r.Reused:
		what = "reused the image published for this commit (built from the same source; this run's rebuild differs and was not pushed)"
	case r.Existed:
		what = "already published (the same image): nothing uploaded"
	default:
		what = "pushed"
	}
	if len(r.Tags) > 0 {
		what += ", tags " + strings.Join(r.Tags, ", ")
	}
	if r.Attempts > 1 {
		what += fmt.Sprintf(" (%d attempts)", r.Attempts)
	}
	return what
}
