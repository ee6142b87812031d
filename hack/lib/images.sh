# shellcheck shell=bash
# Seeds the local registry with the images in hack/images/*.image (see its README).

IMAGES_DIR=$HACK_DIR/images

# image_source FILE: reads the image description FILE (its variables, and its
# optional image_prepare and image_customize functions) into this shell.
image_source() {
	IMAGE_REF="" IMAGE_FROM=debian IMAGE_PACKAGES=() IMAGE_ENV=() IMAGE_CMD=() IMAGE_ENTRYPOINT=() IMAGE_WORKDIR="" IMAGE_USER=""
	unset -f image_prepare image_customize image_inputs
	# shellcheck source=/dev/null
	source "$1"
}

# image_prepare_file FILE: what the image FILE describes needs before it is
# put together, built unless cached: its Debian root fs, and what its
# image_prepare function builds (e.g. a tool from the Go module proxy). Needs
# no registry: `hack/platform up` runs it while other builds compile.
image_prepare_file() {
	local IMAGE_REF IMAGE_FROM IMAGE_PACKAGES IMAGE_ENV IMAGE_CMD IMAGE_ENTRYPOINT IMAGE_WORKDIR IMAGE_USER
	image_source "$1"
	[[ $IMAGE_FROM == scratch ]] || rootfs_build "$(basename "$1" .image)" "${IMAGE_PACKAGES[@]}" >/dev/null
	if declare -F image_prepare >/dev/null; then
		image_prepare >/dev/null
	fi
}

# image_push FILE: builds the image FILE describes and pushes it, unless the
# registry already holds the build of this very file and root fs.
image_push() {
	local file=$1
	local IMAGE_REF IMAGE_FROM IMAGE_PACKAGES IMAGE_ENV IMAGE_CMD IMAGE_ENTRYPOINT IMAGE_WORKDIR IMAGE_USER
	image_source "$file"
	local name base key ref
	name=$(basename "$file" .image)
	if [[ $IMAGE_FROM == scratch ]]; then
		# An empty root fs: the image is what image_customize puts in it (a static binary, as distroless images hold).
		base=$GP_STATE/tmp/scratch
		rm -rf "$base"
		mkdir -p "$base"
	else
		base=$(rootfs_build "$name" "${IMAGE_PACKAGES[@]}")
	fi
	key=$(inputs_key "$base" "$(sha256sum "$file" "$HACK_DIR"/ocitool/*.go)" "$(! declare -F image_inputs >/dev/null || image_inputs)")
	ref=$REGISTRY_ADDR/$IMAGE_REF
	seeded "$name" "$key" "$ref" && return
	local root=$base
	if declare -F image_customize >/dev/null; then
		root=$GP_STATE/tmp/image-$name
		rm -rf "$root"
		mkdir -p "$GP_STATE/tmp"
		cp -a "$base" "$root"
		image_customize "$root"
	fi
	local args=(push --rootfs "$root" --ref "$ref" --annotation "golden-path stand-in for docker.io/$IMAGE_REF")
	local v
	for v in "${IMAGE_ENV[@]}"; do args+=(--env "$v"); done
	for v in "${IMAGE_CMD[@]}"; do args+=(--cmd "$v"); done
	for v in "${IMAGE_ENTRYPOINT[@]}"; do args+=(--entrypoint "$v"); done
	[[ -z $IMAGE_WORKDIR ]] || args+=(--workdir "$IMAGE_WORKDIR")
	[[ -z $IMAGE_USER ]] || args+=(--user "$IMAGE_USER")
	local digest
	digest=$(go run "$HACK_DIR/ocitool" "${args[@]}")
	[[ $root == "$base" ]] || rm -rf "$root"
	mark_seeded "$name" "$key" "$digest"
}

# seeded NAME KEY REF: true when the registry still holds REF as pushed from
# inputs KEY.
seeded() {
	local stamp=$REGISTRY_DIR/seeded/$1
	[[ -f $stamp && $(head -n1 "$stamp") == "$2" ]] && go run "$HACK_DIR/ocitool" digest --ref "$3" >/dev/null 2>&1
}

# mark_seeded NAME KEY DIGEST_REF: records what was pushed (hack/platform status lists it).
mark_seeded() {
	mkdir -p "$REGISTRY_DIR/seeded"
	printf '%s\n%s\n' "$2" "$3" >"$REGISTRY_DIR/seeded/$1"
	log "$1: pushed $3"
}

images_seed() {
	local f
	for f in "$IMAGES_DIR"/*.image; do
		step "image $(basename "$f" .image)" "$GP_LOGS/image-$(basename "$f" .image).log" image_push "$f"
	done
	step "trivy DB" "$GP_LOGS/trivy-db.log" trivy_db_seed
}

# tool_build NAME VERSION PACKAGE LDFLAGS [ENV=VALUE...]: `go install`s a
# tool's command from the Go module proxy into $GP_CACHE/tools/NAME-VERSION,
# unless it is there; prints the binary's path. Tools stay out of the
# product's go.mod.
tool_build() {
	local name=$1 version=$2 pkg=$3 ldflags=$4
	shift 4
	local dir=$GP_CACHE/tools/$name-$version
	if [[ ! -x $dir/$name ]]; then
		local tmp=$dir.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp"
		env "$@" GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version" >&2
		# Another run may have finished first: keep its build.
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir/$name"
}

TRIVY_DB_ADVISORIES=$HACK_DIR/trivydb/testdata/platform-advisories.yaml

# trivy_db_seed: the vulnerability DB the platform's scans fetch, pushed
# unless this very advisories file is already there.
trivy_db_seed() {
	local ref=$REGISTRY_ADDR/aquasec/trivy-db:2 key
	key=$(sha256sum "$TRIVY_DB_ADVISORIES" "$HACK_DIR"/trivydb/*.go "$HACK_DIR"/trivydb/internal/trivydb/*.go | sha256sum | cut -c1-12)
	seeded trivy-db "$key" "$ref" && return
	local digest
	digest=$(go run "$HACK_DIR/trivydb" push --advisories "$TRIVY_DB_ADVISORIES" --ref "$ref")
	mark_seeded trivy-db "$key" "$digest"
}
