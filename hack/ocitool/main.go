// Command ocitool turns a root file system folder into an OCI image without a
// container runtime: it pushes the image to a registry, or writes it into an
// OCI image layout (the Dagger engine's built-in SDK content). hack/platform
// uses it to seed the local registry with images built from Debian.
//
//	ocitool push   --rootfs DIR --ref HOST/REPO:TAG [--env K=V]... [--entrypoint ARG]... [--cmd ARG]... [--workdir DIR] [--user U]
//	ocitool layout --rootfs DIR --out DIR          [--env K=V]... ...
//	ocitool digest --ref HOST/REPO:TAG
//
// push prints the pushed digest reference, layout the manifest digest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ocitool:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: ocitool push|layout|digest [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	var (
		cfg     ImageConfig
		env     listFlag
		entry   listFlag
		cmd     listFlag
		rootfs  = fs.String("rootfs", "", "root file system folder to package as the image's single layer")
		ref     = fs.String("ref", "", "image reference to push to or resolve")
		out     = fs.String("out", "", "OCI image layout folder to write into")
		created = fs.String("annotation", "", "org.opencontainers.image.description of the image")
	)
	fs.Var(&env, "env", "environment variable K=V of the image (repeatable)")
	fs.Var(&entry, "entrypoint", "one argument of the image's entrypoint (repeatable)")
	fs.Var(&cmd, "cmd", "one argument of the image's default command (repeatable)")
	fs.StringVar(&cfg.WorkingDir, "workdir", "", "working directory of the image")
	fs.StringVar(&cfg.User, "user", "", "user of the image")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg.Env, cfg.Entrypoint, cfg.Cmd, cfg.Description = env, entry, cmd, *created

	switch args[0] {
	case "push":
		if *rootfs == "" || *ref == "" {
			return errors.New("push needs --rootfs and --ref")
		}
		img, err := FromRootfs(*rootfs, cfg)
		if err != nil {
			return err
		}
		digestRef, err := Push(ctx, img, *ref)
		if err != nil {
			return err
		}
		fmt.Println(digestRef)
	case "layout":
		if *rootfs == "" || *out == "" {
			return errors.New("layout needs --rootfs and --out")
		}
		img, err := FromRootfs(*rootfs, cfg)
		if err != nil {
			return err
		}
		d, err := WriteLayout(img, *out)
		if err != nil {
			return err
		}
		fmt.Println(d)
	case "digest":
		r, err := name.ParseReference(*ref, name.Insecure)
		if err != nil {
			return err
		}
		desc, err := remote.Head(r, remote.WithContext(ctx))
		if err != nil {
			return err
		}
		fmt.Println(desc.Digest)
	default:
		return fmt.Errorf("unknown command %q: use push, layout or digest", args[0])
	}
	return nil
}
