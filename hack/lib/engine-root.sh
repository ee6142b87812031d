# shellcheck shell=bash
# The engine root fs: debootstrapped Debian with the dagger binaries at the
# paths the engine expects, this machine's CAs, and the Go SDK's built-in
# content. Cached by its inputs (this file among them).

ENGINE_PACKAGES=(iptables dnsmasq-base git openssh-client pigz xz-utils tini ripgrep ca-certificates)
GOSDK_PACKAGES=(git openssh-client ca-certificates)

# install_cas ROOTFS: the machine's extra CAs (egress here is TLS-intercepted)
# as CAs of the system: in /usr/share/ca-certificates/golden-path, listed in
# /etc/ca-certificates.conf. Not in /usr/local/share/ca-certificates: from
# there the engine injects them into every container it runs, with
# update-ca-certificates before and after each exec (about 3 s of CPU each on
# this machine: most of a loaded test run's time). The only containers that
# reach out, the Go SDK's (it downloads modules), have them built in
# (gosdk_content).
install_cas() {
	local root=$1 crt name
	mkdir -p "$root/usr/share/ca-certificates/golden-path"
	for crt in /usr/local/share/ca-certificates/*.crt; do
		[[ -f $crt ]] || continue
		name=golden-path/$(basename "$crt")
		cp "$crt" "$root/usr/share/ca-certificates/$name"
		grep -qxF "$name" "$root/etc/ca-certificates.conf" || echo "$name" >>"$root/etc/ca-certificates.conf"
	done
	chroot "$root" update-ca-certificates >/dev/null
	if compgen -G "$root/usr/local/share/ca-certificates/*" >/dev/null; then
		die "install_cas: $root/usr/local/share/ca-certificates is not empty: the engine would inject its CAs into every container"
	fi
}

# gosdk_content ROOTFS BIN OUT: the OCI image the engine runs Go SDK modules in
# ("golang" with codegen and a warm module cache), written as an OCI layout to
# OUT; prints the manifest digest.
gosdk_content() {
	local base=$1 bin=$2 out=$3
	local root=$out.rootfs
	rm -rf "$root" "$out"
	cp -a "$base" "$root"
	install_cas "$root"
	cp -a "$(go env GOROOT)" "$root/usr/local/go"
	install -m 0755 "$bin/codegen" "$root/usr/local/bin/codegen"
	gosdk_seed_modcache "$root/go/pkg/mod"
	# The SDK seeds its "gobuild" cache volume from this folder.
	mkdir -p "$root/root/.cache/go-build"
	go run "$REPO_ROOT/hack/ocitool" layout --rootfs "$root" --out "$out" \
		--env GOPATH=/go --env GOTOOLCHAIN=auto --env CGO_ENABLED=0 \
		--env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--workdir /go --annotation "golden-path Go SDK runtime for dagger $DAGGER_VERSION" >"$out.digest"
	rm -rf "$root"
}

# gosdk_seed_modcache MODCACHE: the modules a Go SDK module needs, so the first
# `dagger init` does not fetch them, plus the one query the proxy cannot answer:
# codegen asks for dagger.io/dagger at the commit pinned in dagger's
# core/sdk/go_sdk.go (goSDKLibVersion); a .info file maps it to the release.
gosdk_seed_modcache() {
	local cache=$1 seed
	seed=$(mktemp -d)
	mkdir -p "$cache"
	cat >"$seed/go.mod" <<-GOMOD
		module seed

		go 1.24

		require dagger.io/dagger $DAGGER_VERSION
	GOMOD
	(cd "$seed" && GOMODCACHE=$cache GOFLAGS=-modcacherw go mod download all)
	local commit info=$cache/cache/download/dagger.io/dagger/@v
	commit=$(sed -n 's/^\tgoSDKLibVersion *= *"\([0-9a-f]*\)".*/\1/p' "$(mod_dir "github.com/dagger/dagger@$DAGGER_VERSION")/core/sdk/go_sdk.go")
	[[ -n $commit ]] || die "goSDKLibVersion not found in dagger's core/sdk/go_sdk.go"
	cp "$info/$DAGGER_VERSION.info" "$info/$commit.info"
	rm -rf "$seed"
}

# engine_root_build BUILD: the engine root fs (Debian + the dagger binaries in
# BUILD + CAs + Go SDK content), cached by its inputs; prints its path.
engine_root_build() {
	local build=$1 base gobase key root
	base=$(rootfs_build engine "${ENGINE_PACKAGES[@]}")
	gobase=$(rootfs_build gosdk "${GOSDK_PACKAGES[@]}")
	key=$(inputs_key "$build" "$base" "$gobase" \
		"$(cat "$HACK_DIR/lib/engine-root.sh" "$HACK_DIR"/ocitool/*.go /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum)")
	root=$GP_CACHE/engine-root-$DAGGER_VERSION-$key
	if [[ -f $root/.golden-path-complete ]]; then
		echo "$root"
		return
	fi
	local tmp=$root.tmp.$$
	rm -rf "$tmp"
	cp -a "$base" "$tmp"
	rm -f "$tmp/.golden-path-complete"
	install -m 0755 "$build"/bin/{dagger-engine,dagger-init,runc} "$tmp/usr/local/bin/"
	ln -sf /usr/bin/tini "$tmp/usr/local/bin/tini"
	install -m 0755 "$build/bin/dial-stdio" "$tmp/usr/bin/dial-stdio"
	ln -sf dial-stdio "$tmp/usr/bin/buildctl"
	mkdir -p "$tmp/opt/cni/bin"
	install -m 0755 "$build"/bin/cni/* "$build/bin/dnsname" "$tmp/opt/cni/bin/"
	# The engine points iptables at /usr/bin; Debian keeps the multi-call binaries in /usr/sbin.
	ln -sf /usr/sbin/xtables-legacy-multi "$tmp/usr/bin/xtables-legacy-multi"
	ln -sf /usr/sbin/xtables-nft-multi "$tmp/usr/bin/xtables-nft-multi"
	install_cas "$tmp"
	mkdir -p "$tmp/usr/local/share/dagger" "$tmp/etc/golden-path"
	step "engine root fs: Go SDK built-in content" "$GP_LOGS/gosdk-content.log" \
		gosdk_content "$gobase" "$build/bin" "$tmp/usr/local/share/dagger/content"
	mv "$tmp/usr/local/share/dagger/content.digest" "$tmp/etc/golden-path/go-sdk.digest"
	touch "$tmp/.golden-path-complete"
	rm -rf "$root"
	mv "$tmp" "$root"
	echo "$root"
}
