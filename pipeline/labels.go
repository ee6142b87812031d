package pipeline

// The labels the golden path puts on a service's image.
const (
	// LabelSourceDigest is the digest of the source folder the image was
	// built from (the build stage sets it): two images of one commit with the
	// same source digest are the same release built twice, e.g. on a
	// re-run after the base image tag moved.
	LabelSourceDigest = "dev.golden-path.source-digest"
	// LabelRevision is the commit the image was built from (the publish
	// stage sets it, with the commit it tags the image with).
	LabelRevision = "org.opencontainers.image.revision"
	// LabelSource is the URL of the repository the commit is in (publish
	// sets it when given one).
	LabelSource = "org.opencontainers.image.source"
)
