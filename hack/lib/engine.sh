# shellcheck shell=bash
# The Dagger engine, run without docker: its own mount namespace, pivot_root into
# an overlay of the cached engine root fs, host network and pid namespaces.

# The engine network: bridge ${name}0; ours alone, so `down` knows what it made.
ENGINE_NETWORK_NAME=${GP_NETWORK_NAME:-gpdagger}
ENGINE_NETWORK_CIDR=${GP_NETWORK_CIDR:-10.89.0.0/16}

ENGINE_DIR=$GP_STATE/engine
ENGINE_SOCK_DIR=$GP_RUN/dagger
ENGINE_SOCK=$ENGINE_SOCK_DIR/engine.sock
ENGINE_PID=$GP_RUN/engine.pid
ENGINE_LOG=$GP_LOGS/engine.log
# Seconds the engine may take to answer after it starts; after a kill, it
# first wipes its cache (89 s for 24 GB here, idle), and may take the second.
ENGINE_START_WAIT=${GP_ENGINE_START_WAIT:-120}
ENGINE_RESET_WAIT=${GP_ENGINE_RESET_WAIT:-1200}

engine_config() {
	cat <<-JSON
		{
		  "registries": {
		    "docker.io": {"mirrors": ["$REGISTRY_ADDR"]},
		    "$REGISTRY_ADDR": {"http": true, "insecure": true},
		    "$ACR_ADDR": {"http": true, "insecure": true}
		  },
		  "gc": {"reservedSpace": "10GB", "maxUsedSpace": "30GB", "minFreeSpace": "5GB"}
		}
	JSON
}

# engine_start ROOT: starts the engine unless it runs; waits until it answers.
engine_start() {
	local root=$1
	if pid_alive "$ENGINE_PID" dagger-engine; then
		log "engine: already running (pid $(cat "$ENGINE_PID")), nothing to do"
		return
	fi
	# After a crash: a stale pid file, socket, overlay scratch and the DNS
	# server of our network (which outlives a killed engine) are ours to clear.
	rm -f "$ENGINE_PID" "$ENGINE_SOCK"
	engine_dns_stop
	local dns
	dns=$(port_owner udp 53)
	[[ -z $dns ]] || die "engine: UDP port 53 is already taken: $dns; the engine's DNS server for its containers needs it: stop that process"
	rm -rf "$ENGINE_DIR/upper" "$ENGINE_DIR/work"
	mkdir -p "$ENGINE_DIR"/{upper,work,merged,state,config} "$ENGINE_SOCK_DIR" "$GP_LOGS"
	engine_config >"$ENGINE_DIR/config/engine.json"
	engine_network_note
	local gosdk
	gosdk=$(cat "$root/etc/golden-path/go-sdk.digest")
	log "engine: starting dagger-engine $DAGGER_VERSION (log: $ENGINE_LOG)"
	local log_start
	log_start=$(stat -c %s "$ENGINE_LOG" 2>/dev/null || echo 0)
	setsid unshare --mount --propagation private \
		"$HACK_DIR/lib/engine-enter.sh" "$root" "$ENGINE_DIR/upper" "$ENGINE_DIR/work" "$ENGINE_DIR/merged" \
		"$ENGINE_DIR/state" "$ENGINE_SOCK_DIR" "$ENGINE_DIR/config" \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DAGGER_GO_SDK_MANIFEST_DIGEST="$gosdk" \
		_DAGGER_ENGINE_SYSTEMENV_GOPROXY="file:///go/pkg/mod/cache/download,$(go env GOPROXY)" \
		/usr/local/bin/dagger-engine --addr unix:///run/dagger/engine.sock \
		--network-name "$ENGINE_NETWORK_NAME" --network-cidr "$ENGINE_NETWORK_CIDR" \
		</dev/null >>"$ENGINE_LOG" 2>&1 &
	echo $! >"$ENGINE_PID"
	echo "$root" >"$GP_RUN/engine.root"
	# An engine that was killed (not stopped) wipes its whole cache before it
	# listens: minutes with a large cache. Its log says so; then it may take
	# up to ENGINE_RESET_WAIT seconds instead of ENGINE_START_WAIT.
	local i wait=$ENGINE_START_WAIT noted=
	for ((i = 0; i < wait; i++)); do
		# Just started: until it execs, its command line is still this script's.
		if ! pid_alive "$ENGINE_PID"; then
			tail -n 30 "$ENGINE_LOG" | sed 's/^/    /' >&2
			die "engine: exited during start-up; last lines of $ENGINE_LOG above"
		fi
		[[ -S $ENGINE_SOCK ]] && engine_ready && break
		if [[ -z $noted ]] && tail -c +"$((log_start + 1))" "$ENGINE_LOG" | grep -q 'resetting worker and dagql persistence state'; then
			noted=1 wait=$ENGINE_RESET_WAIT
			log "engine: it was killed last time, not stopped: it wipes its cache before it answers (minutes; up to ${wait}s)"
		fi
		sleep 1
	done
	engine_ready || die "engine: not answering on $ENGINE_SOCK after ${wait}s (log: $ENGINE_LOG)"
	log "engine: ready on unix://$ENGINE_SOCK"
}

# engine_ready: the engine answers a query from the CLI.
engine_ready() {
	(eval "$(platform_env_exports)" && timeout 60 "$CLI_LINK" --progress=plain core version >/dev/null 2>&1)
}

# engine_stop: SIGTERM (the engine needs 20-45 s to stop cleanly), then SIGKILL;
# then the network it made: its bridge, veths and iptables rules.
engine_stop() {
	if pid_alive "$ENGINE_PID" dagger-engine; then
		local pid i
		pid=$(cat "$ENGINE_PID")
		log "engine: stopping pid $pid"
		kill -TERM "$pid"
		for ((i = 0; i < 90; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		if kill -0 "$pid" 2>/dev/null; then
			warn "engine: still running after 90s, killing it"
			kill -KILL "$pid"
		fi
	fi
	rm -f "$ENGINE_PID" "$ENGINE_SOCK"
	engine_dns_stop
	engine_network_cleanup
}

# engine_dns_stop: stops the dnsmasq that the engine's dnsname CNI plugin
# started for our network, found by its config path; it keeps running when
# the engine is killed, and holds port 53.
engine_dns_stop() {
	local p pids=()
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- "/cni/dnsname/$ENGINE_NETWORK_NAME/dnsmasq.conf" &&
			pids+=("${p#/proc/}")
	done
	((${#pids[@]} == 0)) && return
	log "engine: stopping the DNS server of $ENGINE_NETWORK_NAME left running (pid ${pids[*]})"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "${pids[@]}" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "${pids[@]}" 2>/dev/null || true
}

# engine_network_cleanup: removes what the engine's CNI set-up left on the host,
# found by our network's name and range, never anything else: veths on our
# bridge, the bridge, the NAT rules commented `name: "gpdagger"` with their
# CNI-… chains, the CNI-FORWARD rules for our range, and the CNI firewall
# chains themselves only if they did not exist before our engine first started.
engine_network_cleanup() {
	local br=${ENGINE_NETWORK_NAME}0 veth
	if ip link show "$br" >/dev/null 2>&1; then
		for veth in $(ip -o link show master "$br" | awk -F': ' '{print $2}' | cut -d@ -f1); do
			ip link delete "$veth" 2>/dev/null || true
		done
		ip link delete "$br"
		log "network: removed bridge $br"
	fi
	local ipt
	for ipt in iptables iptables-legacy; do
		command -v "$ipt" >/dev/null || continue
		iptables_cleanup "$ipt"
	done
}

iptables_cleanup() {
	local ipt=$1 line chain n=0
	local tag="name: \\\\\"$ENGINE_NETWORK_NAME\\\\\""
	local range=${ENGINE_NETWORK_CIDR%.*.*}
	range=${range//./\\.}
	# NAT: our masquerade jumps, then the per-container chains they jumped to.
	local chains=()
	while IFS= read -r line; do
		chain=${line##*-j }
		eval "$ipt -w -t nat -D ${line#-A }" && n=$((n + 1))
		[[ $chain == CNI-* ]] && chains+=("$chain")
	done < <("$ipt" -w -t nat -S POSTROUTING 2>/dev/null | grep -E -- "^-A POSTROUTING .*$tag")
	for chain in "${chains[@]}"; do
		"$ipt" -w -t nat -F "$chain" 2>/dev/null && "$ipt" -w -t nat -X "$chain" 2>/dev/null || true
	done
	# Filter: the firewall plugin's per-address rules for our range.
	while IFS= read -r line; do
		eval "$ipt -w -t filter -D ${line#-A }" && n=$((n + 1))
	done < <("$ipt" -w -t filter -S CNI-FORWARD 2>/dev/null | grep -E -- "^-A CNI-FORWARD -[ds] $range\.")
	# The firewall plugin's chains, when our engine created them and they are empty of other rules.
	if [[ -f $GP_RUN/cni-firewall-ours.$ipt ]] &&
		! "$ipt" -w -t filter -S CNI-FORWARD 2>/dev/null | grep -E -- '^-A CNI-FORWARD' | grep -qv -- '-j CNI-ADMIN$' &&
		! "$ipt" -w -t filter -S CNI-ADMIN 2>/dev/null | grep -q -- '^-A'; then
		"$ipt" -w -t filter -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null || true
		"$ipt" -w -t filter -F CNI-FORWARD 2>/dev/null || true
		"$ipt" -w -t filter -X CNI-FORWARD 2>/dev/null || true
		"$ipt" -w -t filter -X CNI-ADMIN 2>/dev/null || true
		rm -f "$GP_RUN/cni-firewall-ours.$ipt"
	fi
	((n == 0)) || log "network: removed $n $ipt rules of $ENGINE_NETWORK_NAME (${#chains[@]} chains)"
}

# engine_network_note: before the engine first starts, notes which CNI firewall
# chains are not there yet, so that engine_network_cleanup may remove them later.
engine_network_note() {
	local ipt
	for ipt in iptables iptables-legacy; do
		command -v "$ipt" >/dev/null || continue
		[[ -f $GP_RUN/cni-firewall-ours.$ipt ]] && continue
		"$ipt" -w -t filter -S CNI-FORWARD >/dev/null 2>&1 || touch "$GP_RUN/cni-firewall-ours.$ipt"
	done
}
