# shellcheck shell=bash
# Local OCI registry (Debian's docker-registry) on loopback, with our own config:
# the package's default config listens on all interfaces. It is the engine's
# docker.io mirror; later it also plays "ACR" for published images.

REGISTRY_DIR=$GP_STATE/registry
REGISTRY_PID=$GP_RUN/registry.pid
REGISTRY_LOG=$GP_LOGS/registry.log

registry_config() {
	cat <<-YAML
		version: 0.1
		log:
		  level: info
		  fields:
		    service: golden-path-mirror
		storage:
		  filesystem:
		    rootdirectory: $REGISTRY_DIR/data
		  delete:
		    enabled: true
		http:
		  addr: $REGISTRY_ADDR
		  headers:
		    X-Content-Type-Options: [nosniff]
	YAML
}

registry_start() {
	if pid_alive "$REGISTRY_PID" docker-registry; then
		log "registry: already running on $REGISTRY_ADDR (pid $(cat "$REGISTRY_PID")), nothing to do"
		return
	fi
	rm -f "$REGISTRY_PID"
	local owner
	owner=$(port_owner tcp "${REGISTRY_ADDR##*:}")
	[[ -z $owner ]] || die "registry: port ${REGISTRY_ADDR##*:} is already taken: $owner; stop that process or set GP_REGISTRY_ADDR to a free 127.0.0.1:PORT"
	mkdir -p "$REGISTRY_DIR/data" "$GP_LOGS" "$GP_RUN"
	registry_config >"$REGISTRY_DIR/config.yml"
	setsid docker-registry serve "$REGISTRY_DIR/config.yml" </dev/null >>"$REGISTRY_LOG" 2>&1 &
	echo $! >"$REGISTRY_PID"
	local i
	for ((i = 0; i < 50; i++)); do
		curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && {
			log "registry: ready on http://$REGISTRY_ADDR"
			return
		}
		pid_alive "$REGISTRY_PID" || break # just started: may not have exec'd yet
		sleep 0.2
	done
	tail -n 20 "$REGISTRY_LOG" | sed 's/^/    /' >&2
	die "registry: did not start on $REGISTRY_ADDR (log: $REGISTRY_LOG)"
}

registry_stop() {
	if pid_alive "$REGISTRY_PID" docker-registry; then
		log "registry: stopping pid $(cat "$REGISTRY_PID")"
		kill -TERM "$(cat "$REGISTRY_PID")"
	fi
	rm -f "$REGISTRY_PID"
}
