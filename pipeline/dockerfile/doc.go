// Package dockerfile reads a service's Dockerfile far enough to point at a
// line: the instruction a build error or a RUN failure came from, and the
// FROM line of the runtime stage.
package dockerfile
