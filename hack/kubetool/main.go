// Command kubetool holds the small pieces the local platform's Kubernetes node
// needs that no Debian package provides:
//
//	kubetool image --ref REF --file /PATH=SRC --entrypoint /PATH --out FILE
//	    writes a one-layer image holding SRC at /PATH as a docker-archive tar
//	    (for `ctr images import`): the node's pause image.
//	kubetool cri-ready --endpoint unix:///SOCKET
//	    exits 0 when the CRI runtime answers its version, as the kubelet asks
//	    it before it starts (containerd answers `ctr version` earlier).
//	kubetool rm-sandboxes --endpoint unix:///SOCKET
//	    stops and removes every pod sandbox and container through the CRI API,
//	    which runs the CNI teardown and unmounts what the runtime mounted (what
//	    `crictl rmp -fa` does; crictl is not to be had here).
//
// It has its own go.mod, so that the product's module does not depend on
// Kubernetes.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "image":
		err = imageCmd(os.Args[2:])
	case "cri-ready":
		err = criReadyCmd(os.Args[2:])
	case "rm-sandboxes":
		err = rmSandboxesCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubetool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kubetool image|rm-sandboxes [flags] (see the package comment)")
	os.Exit(2)
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return fmt.Sprint(*s) }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

var _ flag.Value = (*stringsFlag)(nil)
