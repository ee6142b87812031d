// Command trivydb builds a small Trivy vulnerability database (schema 2) of
// planted Debian 12 and Python (pip) advisories, so that tests can make a real Trivy find
// known vulnerabilities offline.
//
//	trivydb build --advisories FILE --out DIR
//	trivydb push  --advisories FILE --ref HOST:PORT/trivy-db:2 [--insecure]
//
// build writes DIR/trivy.db and DIR/metadata.json: a folder to use as
// Trivy's <cache-dir>/db. push builds the database in a temporary folder,
// pushes it as the OCI artifact Trivy downloads with
// --db-repository HOST:PORT/trivy-db (Trivy adds the tag :2) and prints the
// digest reference. The advisories file reads:
//
//	advisories:
//	  - id: CVE-2099-0001
//	    source_package: apt          # Debian source package name
//	    fixed_version: "2.6.1+gp1"   # empty: no fix yet
//	    severity: CRITICAL
//	    title: "planted test advisory"
//	  - id: CVE-2099-0002
//	    ecosystem: pip               # a Python distribution (*.dist-info)
//	    package: starlette
//	    fixed_version: "0.47.2"      # required: versions before it are vulnerable
//	    severity: HIGH
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/golden-path/golden-path/hack/trivydb/internal/trivydb"
)

const usage = "usage: trivydb build --advisories FILE --out DIR | " +
	"trivydb push --advisories FILE --ref HOST:PORT/trivy-db:2 [--insecure]"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "trivydb:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, now time.Time) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("trivydb "+args[0], flag.ContinueOnError)
	var (
		advisories = fs.String("advisories", "", "YAML file of the advisories to plant")
		out        = fs.String("out", "", "build: folder to write trivy.db and metadata.json into")
		ref        = fs.String("ref", "", "push: reference to push to, with the tag Trivy reads, e.g. 127.0.0.1:5000/trivy-db:2")
		insecure   = fs.Bool("insecure", false, "push: allow plain HTTP to a registry that is not on loopback")
	)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; %s", fs.Arg(0), usage)
	}

	switch args[0] {
	case "build":
		if *advisories == "" || *out == "" {
			return errors.New("build needs --advisories and --out")
		}
		return build(*advisories, *out, now)
	case "push":
		if *advisories == "" || *ref == "" {
			return errors.New("push needs --advisories and --ref")
		}
		dir, err := os.MkdirTemp("", "trivydb-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := build(*advisories, dir, now); err != nil {
			return err
		}
		img, err := trivydb.Image(dir)
		if err != nil {
			return err
		}
		d, err := trivydb.Push(ctx, img, *ref, *insecure)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, d)
		return nil
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
}

// build writes the database of the advisories file into dir.
func build(advisoriesFile, dir string, now time.Time) error {
	data, err := os.ReadFile(advisoriesFile)
	if err != nil {
		return err
	}
	advisories, err := trivydb.ParseAdvisories(data, advisoriesFile)
	if err != nil {
		return err
	}
	return trivydb.Write(dir, advisories, now)
}
