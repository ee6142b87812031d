# shellcheck shell=bash
# Builds the Dagger engine, CLI and helper binaries, runc and the CNI plugins from
# source obtained through the Go module proxy alone. Five modules dagger needs are
# refused by the proxy; hack/engine/replace holds our replacements (see its README).

DAGGER_REPLACE_DIR=$HACK_DIR/engine/replace

# dagger_build_dir: the cache folder for this version and these replacements.
dagger_build_dir() {
	local key
	key=$( (
		go env GOVERSION
		cd "$HACK_DIR" && find engine/replace lib/dagger-build.sh -type f -print0 | sort -z | xargs -0 sha256sum
	) | sha256sum | cut -c1-12)
	echo "$GP_CACHE/dagger-$DAGGER_VERSION-$key"
}

# mod_dir MODULE@VERSION: downloads a module through the proxy, prints its folder.
mod_dir() {
	go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

# dagger_prepare DIR: lays out a writable dagger source tree in DIR/src and the
# replacement modules in DIR/replace, wired together through go.mod replaces.
dagger_prepare() {
	local dir=$1 src=$1/src rep=$1/replace
	rm -rf "$src" "$rep"
	mkdir -p "$rep"
	cp -r "$(mod_dir "github.com/dagger/dagger@$DAGGER_VERSION")" "$src"
	chmod -R u+w "$src"

	cp -r "$DAGGER_REPLACE_DIR/distconsts" "$rep/distconsts"
	cp -r "$DAGGER_REPLACE_DIR/tuist" "$rep/tuist"
	cp -r "$DAGGER_REPLACE_DIR/teav1" "$rep/teav1"

	# midterm: the served v0.2.4 plus our file with the search API dagger uses.
	cp -r "$(mod_dir github.com/vito/midterm@v0.2.4)" "$rep/midterm"
	chmod -R u+w "$rep/midterm"
	cp "$DAGGER_REPLACE_DIR"/midterm/*.go "$rep/midterm/"

	# dang/v2: the served dang v1.0.1 language packages under the /v2 path.
	cp -r "$(mod_dir github.com/vito/dang@v1.0.1)" "$rep/dang"
	chmod -R u+w "$rep/dang"
	sed -i 's#^module github.com/vito/dang$#module github.com/vito/dang/v2#' "$rep/dang/go.mod"
	grep -rl --include='*.go' '"github.com/vito/dang/pkg/' "$rep/dang" |
		xargs sed -i 's#"github.com/vito/dang/pkg/#"github.com/vito/dang/v2/pkg/#'

	(
		cd "$src"
		go mod edit \
			-replace "dagger.io/dagger=dagger.io/dagger@$DAGGER_VERSION" \
			-replace "github.com/dagger/dagger/engine/distconsts=$rep/distconsts" \
			-replace "github.com/vito/tuist=$rep/tuist" \
			-replace "github.com/vito/tuist/teav1=$rep/teav1" \
			-replace "github.com/vito/midterm=$rep/midterm" \
			-replace "github.com/vito/dang/v2=$rep/dang"
	)
}

# build_runc OUT: runc as the official engine image ships it (static, seccomp).
build_runc() {
	local out=$1
	mkdir -p "$out"
	GOBIN=$out CGO_ENABLED=1 go install -trimpath -buildmode=pie \
		-tags "seccomp netgo osusergo" \
		-ldflags "-s -w -extldflags -static-pie" \
		"github.com/opencontainers/runc@$RUNC_VERSION"
}

# build_cni OUT: the CNI plugins the engine uses (dnsname is dagger's own).
build_cni() {
	local out=$1 p
	mkdir -p "$out"
	for p in bridge loopback firewall host-local; do
		GOBIN=$out CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
			"github.com/containernetworking/plugins/plugins/$(cni_plugin_dir "$p")/$p@$CNI_VERSION"
	done
}

cni_plugin_dir() {
	case $1 in
	bridge | loopback) echo main ;;
	firewall) echo meta ;;
	host-local) echo ipam ;;
	esac
}

# dagger_build DIR: builds every binary the engine root fs and the clients need
# into DIR/bin (engine, CLI, init, dnsname, dial-stdio, codegen, runc, CNI).
# Skipped when DIR holds a finished build.
dagger_build() {
	local dir=$1
	[[ -f $dir/bin/.complete ]] && return
	step "dagger $DAGGER_VERSION: source from the Go module proxy + replacement modules" \
		"$GP_LOGS/build-dagger-prepare.log" dagger_prepare "$dir"
	rm -rf "$dir/bin"
	mkdir -p "$dir/bin/cni"
	local ldflags="-s -w -X github.com/dagger/dagger/engine.Version=$DAGGER_VERSION -X github.com/dagger/dagger/engine.Tag=$DAGGER_VERSION"
	local cmd out
	for cmd in engine dagger init dnsname dialstdio codegen; do
		case $cmd in
		engine) out=dagger-engine ;; init) out=dagger-init ;; dialstdio) out=dial-stdio ;; *) out=$cmd ;;
		esac
		local tags=""
		[[ $cmd == engine ]] && tags=dfexcludepatterns,dfparents
		step "dagger $DAGGER_VERSION: compile $out" "$GP_LOGS/build-dagger-$out.log" \
			env -C "$dir/src" CGO_ENABLED=0 go build -mod=mod -trimpath ${tags:+-tags "$tags"} \
			-ldflags "$ldflags" -o "$dir/bin/$out" "./cmd/$cmd"
	done
	step "runc $RUNC_VERSION: compile" "$GP_LOGS/build-runc.log" build_runc "$dir/bin"
	step "CNI plugins $CNI_VERSION: compile" "$GP_LOGS/build-cni.log" build_cni "$dir/bin/cni"
	touch "$dir/bin/.complete"
}
