# shellcheck shell=bash
# Debian root file systems made with debootstrap, cached by suite and package list.

# rootfs_path NAME PKGS...: where the root fs for NAME with PKGS lives in the cache.
rootfs_path() {
	local name=$1
	shift
	echo "$GP_CACHE/rootfs/$name-$DEBIAN_SUITE-$(inputs_key "$DEBIAN_SUITE" "$@")"
}

# rootfs_build NAME PKGS...: debootstraps a minbase root fs with PKGS unless it
# is cached; prints its path. Built into a temporary folder and renamed, so an
# interrupted build never looks finished.
rootfs_build() {
	local name=$1
	shift
	local dir
	dir=$(rootfs_path "$name" "$@")
	if [[ -f $dir/.golden-path-complete ]]; then
		echo "$dir"
		return
	fi
	local tmp=$dir.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$GP_CACHE/debs" "$(dirname "$dir")"
	local include
	include=$(IFS=,; echo "$*")
	step "rootfs $name: debootstrap $DEBIAN_SUITE ($*)" "$GP_LOGS/rootfs-$name.log" \
		debootstrap --variant=minbase --cache-dir="$GP_CACHE/debs" ${include:+--include="$include"} \
		"$DEBIAN_SUITE" "$tmp" "$DEBIAN_MIRROR"
	# Slim it the way the official slim images are: no package cache, no lists.
	rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* "$tmp"/var/log/*.log
	touch "$tmp/.golden-path-complete"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	echo "$dir"
}
