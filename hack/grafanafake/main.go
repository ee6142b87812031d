// Command grafana-fake is a stand-in for Grafana on the local platform: it is
// NOT Grafana. No Grafana server can be had on this machine kind (the module
// proxy refuses it, Debian has none), so `hack/platform up` runs this instead:
// pipeline/grafana/grafanatest's in-memory fake of the few endpoints of
// Grafana's HTTP API the pipeline uses (folders, dashboards, search, health),
// on a fixed address, with one service-account token read from a file.
// Everything is kept in memory and lost when it stops. Dev tooling, not product.
//
//	grafana-fake --addr 127.0.0.1:3000 --token-file $GP_STATE/grafana/token
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/golden-path/golden-path/pipeline/grafana/grafanatest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "address to serve the fake Grafana API on")
	tokenFile := flag.String("token-file", "", "file holding the Admin service-account token (required)")
	flag.Parse()
	log.SetPrefix("grafana-fake: ")
	if err := run(*addr, *tokenFile); err != nil {
		log.Fatal(err)
	}
}

func run(addr, tokenFile string) error {
	if tokenFile == "" {
		return fmt.Errorf("--token-file is required")
	}
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		return err
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return fmt.Errorf("%s is empty", tokenFile)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s := grafanatest.NewServerOn(l)
	s.AddToken(token, grafanatest.Admin)
	log.Printf("a FAKE Grafana (pipeline/grafana/grafanatest, in memory; not Grafana) serving on %s, token from %s", s.URL, tokenFile)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	log.Printf("stopping after %d requests", len(s.Requests()))
	s.Close()
	return nil
}
