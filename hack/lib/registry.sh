# shellcheck shell=bash
# Local OCI registries (Debian's docker-registry) on loopback, with our own
# config (the package's default listens on all interfaces):
#   mirror  $REGISTRY_ADDR, anonymous: the engine's docker.io mirror, stand-in images, Trivy's DB.
#   acr     $ACR_ADDR, htpasswd auth: plays Azure Container Registry for published images.

REGISTRY_DIR=$GP_STATE/registry
REGISTRY_PID=$GP_RUN/registry.pid
REGISTRY_LOG=$GP_LOGS/registry.log

ACR_ADDR=${GP_ACR_ADDR:-127.0.0.1:5001}
ACR_DIR=$GP_STATE/acr
ACR_PID=$GP_RUN/acr.pid
ACR_LOG=$GP_LOGS/acr.log
# The pipeline's push identity on the "ACR" (in Azure: a token or service principal with AcrPush).
ACR_USERNAME=golden-path
ACR_PASSWORD_FILE=$ACR_DIR/password

# registry_config NAME ADDR DATA [HTPASSWD]: a docker-registry config listening on ADDR only.
registry_config() {
	cat <<-YAML
		version: 0.1
		log:
		  level: info
		  fields:
		    service: golden-path-$1
		storage:
		  filesystem:
		    rootdirectory: $3
		  delete:
		    enabled: true
		http:
		  addr: $2
		  headers:
		    X-Content-Type-Options: [nosniff]
	YAML
	[[ -z ${4:-} ]] || cat <<-YAML
		auth:
		  htpasswd:
		    realm: golden-path-$1
		    path: $4
	YAML
}

# registry_run NAME ADDR DIR PIDFILE LOGFILE [HTPASSWD]: starts one registry unless it runs; waits until it answers.
registry_run() {
	local name=$1 addr=$2 dir=$3 pidfile=$4 logfile=$5 htpasswd=${6:-}
	if pid_alive "$pidfile" docker-registry; then
		log "registry $name: already running on $addr (pid $(cat "$pidfile")), nothing to do"
		return
	fi
	rm -f "$pidfile"
	local owner
	owner=$(port_owner tcp "${addr##*:}")
	[[ -z $owner ]] || die "registry $name: port ${addr##*:} is already taken: $owner; stop that process or choose another 127.0.0.1:PORT (GP_REGISTRY_ADDR, GP_ACR_ADDR)"
	mkdir -p "$dir/data" "$GP_LOGS" "$GP_RUN"
	registry_config "$name" "$addr" "$dir/data" "$htpasswd" >"$dir/config.yml"
	setsid docker-registry serve "$dir/config.yml" </dev/null >>"$logfile" 2>&1 &
	echo $! >"$pidfile"
	local i code
	for ((i = 0; i < 50; i++)); do
		# /v2/ answers 200, or 401 behind auth: either way it serves.
		code=$(curl -sS -o /dev/null -w '%{http_code}' "http://$addr/v2/" 2>/dev/null || true)
		if [[ $code == 200 || $code == 401 ]]; then
			log "registry $name: ready on http://$addr"
			return
		fi
		pid_alive "$pidfile" || break # just started: may not have exec'd yet
		sleep 0.2
	done
	tail -n 20 "$logfile" | sed 's/^/    /' >&2
	die "registry $name: did not start on $addr (log: $logfile)"
}

# acr_credentials: the push identity's password (random, made once, 0600) and its bcrypt htpasswd line.
acr_credentials() {
	mkdir -p "$ACR_DIR"
	chmod 700 "$ACR_DIR"
	if [[ ! -s $ACR_PASSWORD_FILE ]]; then
		(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$ACR_PASSWORD_FILE")
	fi
	# htpasswd reads the password on stdin (-i): it never shows in a process list.
	htpasswd -iBn "$ACR_USERNAME" <"$ACR_PASSWORD_FILE" | sed '/^$/d' >"$ACR_DIR/htpasswd.tmp"
	chmod 600 "$ACR_DIR/htpasswd.tmp"
	mv "$ACR_DIR/htpasswd.tmp" "$ACR_DIR/htpasswd"
}

registry_start() {
	registry_run mirror "$REGISTRY_ADDR" "$REGISTRY_DIR" "$REGISTRY_PID" "$REGISTRY_LOG"
	pid_alive "$ACR_PID" docker-registry || acr_credentials
	registry_run acr "$ACR_ADDR" "$ACR_DIR" "$ACR_PID" "$ACR_LOG" "$ACR_DIR/htpasswd"
}

registry_stop() {
	local pidfile
	for pidfile in "$REGISTRY_PID" "$ACR_PID"; do
		if pid_alive "$pidfile" docker-registry; then
			log "registry: stopping pid $(cat "$pidfile")"
			kill -TERM "$(cat "$pidfile")"
		fi
		rm -f "$pidfile"
	done
}
