# shellcheck shell=bash
# Shared paths, versions and helpers for hack/platform. Sourced, never run.

set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)

# Pinned versions: every cached build is keyed by them.
DAGGER_VERSION=v0.21.8
RUNC_VERSION=v1.4.2
CNI_VERSION=v1.9.0
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${GP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Slow builds live outside the clone, in folders named by version, so a fresh
# clone on the same machine reuses them; nothing depends on them existing.
GP_CACHE=${GP_CACHE:-/var/cache/golden-path}
# Mutable state of the running platform (engine cache, registry blobs, pids, logs).
GP_STATE=${GP_STATE:-/var/lib/golden-path}
GP_RUN=$GP_STATE/run
GP_LOGS=$GP_STATE/logs

# The platform's own network addresses: loopback only.
REGISTRY_ADDR=${GP_REGISTRY_ADDR:-127.0.0.1:5000}

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# step NAME LOGFILE CMD...: runs CMD with its output in LOGFILE; on failure
# names the step, prints the tail of its log and exits non-zero.
step() {
	local name=$1 logfile=$2
	shift 2
	mkdir -p "$(dirname "$logfile")"
	local start=$SECONDS
	log "$name"
	# A subshell outside any condition, so that errexit holds inside functions.
	local rc=0
	set +e
	("$@") >"$logfile" 2>&1
	rc=$?
	set -e
	if ((rc != 0)); then
		printf 'error: step %q failed after %ss; last lines of %s:\n' "$name" $((SECONDS - start)) "$logfile" >&2
		tail -n 30 "$logfile" | sed 's/^/    /' >&2
		exit 1
	fi
	log "$name: done in $((SECONDS - start))s"
	step_time "$name" $((SECONDS - start))
}

# step_time NAME SECONDS: records a step's time in $GP_STEP_TIMES when set
# (`hack/platform up` sets it and prints the times at the end).
step_time() {
	[[ -z ${GP_STEP_TIMES:-} ]] || printf '%s\t%s\n' "$2" "$1" >>"$GP_STEP_TIMES"
}

# timed NAME CMD...: runs CMD as it is (its output on the terminal) and logs
# and records how long it took.
timed() {
	local name=$1 start=$SECONDS
	shift
	"$@"
	log "$name: done in $((SECONDS - start))s"
	step_time "$name" $((SECONDS - start))
}

# Lanes: `hack/platform up` runs independent builds and starts side by side.
declare -A LANES=()

# lane NAME CMD...: runs CMD in the background as the lane NAME.
lane() {
	local name=$1
	shift
	("$@") &
	LANES[$name]=$!
}

# lane_wait NAME: waits for the lane NAME; fails when it failed (its step
# printed why).
lane_wait() {
	wait "${LANES[$1]}" || die "the $1 lane failed: see its step's error above"
	unset "LANES[$1]"
}

# lanes_stop: ends the lanes still running (up failed elsewhere).
lanes_stop() {
	local pid
	for pid in "${LANES[@]}"; do
		pkill -TERM -P "$pid" 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
	done
}

# sha of a list of strings: used to key caches by their inputs.
inputs_key() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }

# port_owner tcp|udp PORT: who listens on that port, or nothing.
port_owner() {
	local flag=-Hltnp
	[[ $1 == udp ]] && flag=-Hlunp
	ss "$flag" "sport = :$2" 2>/dev/null | awk '{print $4, $6}' | head -n 3
}

# pid_alive PIDFILE [NAME]: true when the pid in PIDFILE runs (and, with NAME,
# runs a command whose line contains NAME: after a crash and reboot the pid may
# be another process's, which we must not touch).
pid_alive() {
	[[ -s $1 ]] || return 1
	local pid
	pid=$(cat "$1")
	kill -0 "$pid" 2>/dev/null || return 1
	[[ -z ${2:-} ]] || tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "$2"
}

# builds_prune DIR... -- KEEP...: removes the build folders DIR (a glob of one
# build's versions and inputs, expanded by the caller) but the folders KEEP and
# the builds in progress (DIR.tmp.PID whose process runs).
builds_prune() {
	local dirs=() d k
	while (($#)) && [[ $1 != -- ]]; do
		dirs+=("$1")
		shift
	done
	shift || true
	for d in "${dirs[@]}"; do
		[[ -d $d ]] || continue
		for k in "$@"; do [[ $d == "$k" ]] && continue 2; done
		if [[ $d == *.tmp.* ]] && kill -0 "${d##*.tmp.}" 2>/dev/null; then
			continue
		fi
		rm -rf "$d"
	done
}

# cache_prune KEEP...: removes older builds of ours from the cache (other
# versions or inputs of the dagger build and engine root fs, interrupted
# builds), keeping the folders named and the root fs a running engine uses.
cache_prune() {
	local in_use=""
	[[ -f $GP_RUN/engine.root ]] && in_use=$(cat "$GP_RUN/engine.root")
	builds_prune "$GP_CACHE"/dagger-v*-* "$GP_CACHE"/engine-root-* "$GP_CACHE"/rootfs/*.tmp.* "$GP_CACHE"/tools/*.tmp.* \
		-- "$@" ${in_use:+"$in_use"}
}
