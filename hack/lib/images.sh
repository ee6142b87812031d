# shellcheck shell=bash
# Seeds the local registry with the images in hack/images/*.image (see its README).

IMAGES_DIR=$HACK_DIR/images

# image_push FILE: builds the image FILE describes and pushes it, unless the
# registry already holds the build of this very file and root fs.
image_push() {
	local file=$1
	local IMAGE_REF IMAGE_PACKAGES=() IMAGE_ENV=() IMAGE_CMD=() IMAGE_ENTRYPOINT=() IMAGE_WORKDIR="" IMAGE_USER=""
	unset -f image_customize
	# shellcheck source=/dev/null
	source "$file"
	local name base key stamp ref
	name=$(basename "$file" .image)
	base=$(rootfs_build "$name" "${IMAGE_PACKAGES[@]}")
	key=$(inputs_key "$base" "$(sha256sum "$file" "$HACK_DIR"/ocitool/*.go)")
	ref=$REGISTRY_ADDR/$IMAGE_REF
	stamp=$REGISTRY_DIR/seeded/$name
	if [[ -f $stamp && $(head -n1 "$stamp") == "$key" ]] && go run "$HACK_DIR/ocitool" digest --ref "$ref" >/dev/null 2>&1; then
		return
	fi
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
	mkdir -p "$(dirname "$stamp")"
	printf '%s\n%s\n' "$key" "$digest" >"$stamp"
	log "image: pushed $digest"
}

images_seed() {
	local f
	for f in "$IMAGES_DIR"/*.image; do
		step "image $(basename "$f" .image)" "$GP_LOGS/image-$(basename "$f" .image).log" image_push "$f"
	done
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
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		env "$@" GOBIN="$dir.tmp" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version" >&2
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir/$name"
}
