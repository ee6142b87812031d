// Command pause is the sandbox ("pause") container of the local platform's
// Kubernetes node: it holds a pod's namespaces open, reaps the zombies it
// inherits as PID 1 and exits cleanly on SIGINT or SIGTERM. It is what
// registry.k8s.io/pause does, written in Go because this machine can pull
// no image; kubetool packs it into a one-layer image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
