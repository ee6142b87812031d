// Only dagger_search.go is ours: hack/lib/dagger-build.sh adds it to the served
// github.com/vito/midterm v0.2.4, whose own go.mod is used for the build.
module github.com/vito/midterm

go 1.23
