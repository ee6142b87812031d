# shellcheck shell=bash
# Monitoring for the local platform, the way kube-prometheus-stack does it on a
# cluster, so that ServiceMonitors and PrometheusRules the pipeline applies are
# really scraped and evaluated:
#   - prometheus-operator v0.85.0, on the host, out of cluster, with its own
#     identity (upstream's ClusterRole): it turns ServiceMonitors and
#     PrometheusRules into Prometheus config, for the `Prometheus` CR
#     monitoring/golden-path, which has `replicas: 0` (no pod, no quay image);
#   - Prometheus 3.16 (module v0.316.0), on the host on 127.0.0.1:9090: it reaches
#     the API server with its own identity (upstream's ClusterRole) for service
#     discovery, and pod IPs directly (the pod bridge is on the host);
#   - a sync loop that plays the kubelet's volume mounts and the config reloader:
#     it copies the generated config (Secret prometheus-golden-path) and rules
#     (ConfigMaps prometheus-golden-path-rulefiles-*) to files, rewrites the
#     in-container paths to them, checks them with promtool and POSTs /-/reload;
#   - a FAKE Grafana (hack/grafanafake: pipeline/grafana/grafanatest's in-memory
#     stand-in of Grafana's HTTP API) on 127.0.0.1:3000: no Grafana can be had here.
# Binaries are built from the Go module proxy, cached by version. Needs the
# cluster (hack/lib/kube.sh) running.

PROMETHEUS_MODULE=github.com/prometheus/prometheus
PROMETHEUS_VERSION=v0.316.0 # Prometheus 3.16.0
# Service discovery plugins compiled in: kubernetes only (plus file and http, always in).
PROMETHEUS_TAGS=remove_all_sd,enable_kubernetes_sd
PROMETHEUS_OPERATOR_MODULE=github.com/prometheus-operator/prometheus-operator
PROMETHEUS_OPERATOR_VERSION=v0.85.0

PROMETHEUS_ADDR=${GP_PROMETHEUS_ADDR:-127.0.0.1:9090}
# The operator's own /metrics and /healthz (upstream's default is :8080 on every interface).
PROMETHEUS_OPERATOR_ADDR=${GP_PROMETHEUS_OPERATOR_ADDR:-127.0.0.1:8085}
PROMETHEUS_NAMESPACE=monitoring
PROMETHEUS_NAME=golden-path
# Seconds between two looks at the generated config.
PROMETHEUS_SYNC_INTERVAL=${GP_PROMETHEUS_SYNC_INTERVAL:-1}

PROMETHEUS_DIR=$GP_STATE/prometheus # TSDB (data/), the synced config (etc -> etc.<hash>/), kubeconfig
PROMETHEUS_PID=$GP_RUN/prometheus.pid
PROMETHEUS_LOG=$GP_LOGS/prometheus.log
PROMETHEUS_OPERATOR_PID=$GP_RUN/prometheus-operator.pid
PROMETHEUS_OPERATOR_LOG=$GP_LOGS/prometheus-operator.log
PROMETHEUS_SYNC_PID=$GP_RUN/prometheus-sync.pid
PROMETHEUS_SYNC_LOG=$GP_LOGS/prometheus-sync.log
# Prometheus reads its config through this link; the sync loop points it at a checked snapshot.
PROMETHEUS_ETC=$PROMETHEUS_DIR/etc
PROMETHEUS_CONFIG=$PROMETHEUS_ETC/config_out/prometheus.env.yaml
# Identities, client certificates signed by the cluster's CA (the API server
# accepts them without a restart, unlike new static tokens).
PROMETHEUS_OPERATOR_USER=golden-path-prometheus-operator
PROMETHEUS_USER=golden-path-prometheus
PROMETHEUS_OPERATOR_KUBECONFIG=$PROMETHEUS_DIR/operator.kubeconfig

GRAFANA_ADDR=${GP_GRAFANA_ADDR:-127.0.0.1:3000}
GRAFANA_DIR=$GP_STATE/grafana
GRAFANA_TOKEN_FILE=$GRAFANA_DIR/token
GRAFANA_BIN=$GP_STATE/bin/grafana-fake
GRAFANA_PID=$GP_RUN/grafana-fake.pid
GRAFANA_LOG=$GP_LOGS/grafana-fake.log

# --- build -------------------------------------------------------------------

# prom_build_dir NAME MODULE VERSION: the cache folder of one build, keyed by
# version, Go, tags and recipe.
prom_build_dir() {
	local key
	key=$(inputs_key "$2@$3" "$(go env GOVERSION GOOS GOARCH)" "$PROMETHEUS_TAGS" \
		"$(declare -f prom_build_src prom_build_into)")
	echo "$GP_CACHE/$1-$3-$key"
}

# prom_module_dir MODULE VERSION: the module's folder in the module cache
# (downloaded through the proxy, checked against the checksum DB).
prom_module_dir() {
	local json dir
	# Outside any module, so that no go.mod or go.sum changes.
	json=$(cd "$GP_CACHE" && go mod download -json "$1@$2") || true
	dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
	[[ -n $dir && -d $dir ]] || die "prometheus: go mod download $1@$2 failed: $(sed -n 's/^\t"Error": //p' <<<"$json")"
	echo "$dir"
}

# prom_build_src DIR MODULE VERSION: a scratch module in DIR requiring MODULE,
# with each of MODULE's local replaces (X => ./path, its own nested modules)
# pinned to their published tag of the same version.
prom_build_src() {
	local dir=$1 mod=$2 version=$3 src
	src=$(prom_module_dir "$mod" "$version")
	mkdir -p "$dir"
	{
		echo "module golden-path.local/build"
		echo
		grep -m1 '^go ' "$src/go.mod"
		echo
		echo "require $mod $version"
		echo
		sed -n 's#^\s*\('"$mod"'/[a-z0-9/._-]*\) => \./[a-z0-9/._-]*$#replace \1 => \1 '"$version"'#p' "$src/go.mod"
	} >"$dir/go.mod"
	echo "package build" >"$dir/doc.go"
}

# prom_build_into DIR NAME: builds into DIR/bin, static, version stamped:
# prometheus: prometheus and promtool, with only the SD plugins we use;
# prometheus-operator: the operator, plus upstream's ClusterRoles for it and for
# Prometheus in DIR/rbac.
prom_build_into() {
	local dir=$1 name=$2 mod version src ld
	case $name in
	prometheus) mod=$PROMETHEUS_MODULE version=$PROMETHEUS_VERSION ;;
	prometheus-operator) mod=$PROMETHEUS_OPERATOR_MODULE version=$PROMETHEUS_OPERATOR_VERSION ;;
	esac
	src=$(prom_module_dir "$mod" "$version")
	prom_build_src "$dir/src" "$mod" "$version"
	# Both print github.com/prometheus/common/version's fields (`--version`, build_info metric).
	local v=github.com/prometheus/common/version
	ld="-s -w -X $v.Version=$(<"$src/VERSION") -X $v.Revision=$version -X $v.Branch=$version"
	ld+=" -X $v.BuildUser=golden-path -X $v.BuildDate=19700101-00:00:00"
	mkdir -p "$dir/bin"
	(
		cd "$dir/src"
		export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
		case $name in
		prometheus)
			go build -trimpath -tags "$PROMETHEUS_TAGS" -ldflags "$ld" -o "$dir/bin/" \
				"$mod/cmd/prometheus" "$mod/cmd/promtool"
			;;
		prometheus-operator)
			go build -trimpath -ldflags "$ld" -o "$dir/bin/prometheus-operator" "$mod/cmd/operator"
			;;
		esac
	)
	if [[ $name == prometheus-operator ]]; then
		mkdir -p "$dir/rbac"
		install -m 0644 "$src/example/rbac/prometheus-operator/prometheus-operator-cluster-role.yaml" \
			"$src/example/rbac/prometheus/prometheus-cluster-role.yaml" "$dir/rbac/"
	fi
}

# prom_build NAME: builds NAME (prometheus or prometheus-operator) unless cached; prints its folder.
prom_build() {
	local name=$1 dir tmp
	case $name in
	prometheus) dir=$(prom_build_dir "$name" "$PROMETHEUS_MODULE" "$PROMETHEUS_VERSION") ;;
	prometheus-operator) dir=$(prom_build_dir "$name" "$PROMETHEUS_OPERATOR_MODULE" "$PROMETHEUS_OPERATOR_VERSION") ;;
	*) die "prom_build: unknown $name" ;;
	esac
	if [[ ! -f $dir/.golden-path-complete ]]; then
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		step "$name ${dir#"$GP_CACHE"/}: build from the Go module proxy" "$GP_LOGS/$name-build.log" \
			prom_build_into "$tmp" "$name"
		touch "$tmp/.golden-path-complete"
		rm -rf "$dir"
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

# prom_cache_prune KEEP...: other versions and inputs of our builds, and
# interrupted builds whose process is gone.
prom_cache_prune() {
	builds_prune "$GP_CACHE"/prometheus-v*-* "$GP_CACHE"/prometheus-operator-v*-* -- "$@"
}

# grafana_build: hack/grafanafake with the root module's go into $GP_STATE/bin,
# unless built from these very sources.
grafana_build() {
	local key
	key=$( (
		go env GOVERSION
		cd "$REPO_ROOT" && find hack/grafanafake pipeline/grafana/grafanatest go.mod go.sum -type f -print0 |
			sort -z | xargs -0 sha256sum
	) | sha256sum | cut -c1-12)
	[[ -x $GRAFANA_BIN && $(cat "$GRAFANA_DIR/build.key" 2>/dev/null) == "$key" ]] && return
	mkdir -p "$GRAFANA_DIR" "$(dirname "$GRAFANA_BIN")"
	step "grafana-fake: build hack/grafanafake" "$GP_LOGS/grafana-fake-build.log" grafana_build_bin
	echo "$key" >"$GRAFANA_DIR/build.key"
}

grafana_build_bin() { cd "$REPO_ROOT" && CGO_ENABLED=0 go build -trimpath -o "$GRAFANA_BIN" ./hack/grafanafake; }

# --- cluster side ----------------------------------------------------------

# prom_identities: client certificates for the operator and for Prometheus
# (kept, 0600), and the operator's kubeconfig.
prom_identities() {
	(
		umask 077
		kube_cert prometheus-operator "$PROMETHEUS_OPERATOR_USER" "" clientAuth
		kube_cert prometheus "$PROMETHEUS_USER" "" clientAuth
		cat >"$PROMETHEUS_OPERATOR_KUBECONFIG.tmp" <<-YAML
			apiVersion: v1
			kind: Config
			clusters:
			- name: golden-path
			  cluster:
			    server: https://$KUBE_API_ADDR
			    certificate-authority: $KUBE_PKI/ca.crt
			users:
			- name: $PROMETHEUS_OPERATOR_USER
			  user:
			    client-certificate: $KUBE_PKI/prometheus-operator.crt
			    client-key: $KUBE_PKI/prometheus-operator.key
			contexts:
			- name: golden-path
			  context: {cluster: golden-path, user: $PROMETHEUS_OPERATOR_USER}
			current-context: golden-path
		YAML
		mv "$PROMETHEUS_OPERATOR_KUBECONFIG.tmp" "$PROMETHEUS_OPERATOR_KUBECONFIG"
	)
}

# prom_manifests OPERATOR_BUILD: what the cluster needs, on stdout: the
# namespace, upstream's ClusterRoles bound to our two users, read access to
# the generated config in the namespace for the sync loop (Prometheus' user:
# it stands for the pod's volume mounts), and the Prometheus CR.
prom_manifests() {
	local rbac=$1/rbac
	cat <<-YAML
		apiVersion: v1
		kind: Namespace
		metadata: {name: $PROMETHEUS_NAMESPACE}
		---
	YAML
	cat "$rbac/prometheus-operator-cluster-role.yaml"
	echo "---"
	cat "$rbac/prometheus-cluster-role.yaml"
	cat <<-YAML
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRoleBinding
		metadata: {name: $PROMETHEUS_OPERATOR_USER}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: prometheus-operator}
		subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $PROMETHEUS_OPERATOR_USER}]
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRoleBinding
		metadata: {name: $PROMETHEUS_USER}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: prometheus}
		subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $PROMETHEUS_USER}]
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: Role
		metadata: {name: $PROMETHEUS_USER-config, namespace: $PROMETHEUS_NAMESPACE}
		rules:
		- apiGroups: [""]
		  resources: [secrets, configmaps]
		  verbs: [get, list]
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: $PROMETHEUS_USER-config, namespace: $PROMETHEUS_NAMESPACE}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: $PROMETHEUS_USER-config}
		subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $PROMETHEUS_USER}]
		---
		# As kube-prometheus-stack's, selecting every ServiceMonitor and PrometheusRule of
		# every namespace. No pod (replicas: 0): Prometheus runs on the host, and the
		# operator only writes its config, which hack/lib/prometheus.sh's sync loop copies.
		apiVersion: monitoring.coreos.com/v1
		kind: Prometheus
		metadata: {name: $PROMETHEUS_NAME, namespace: $PROMETHEUS_NAMESPACE}
		spec:
		  replicas: 0
		  version: v$(prom_version)
		  serviceDiscoveryRole: EndpointSlice
		  scrapeInterval: 5s
		  evaluationInterval: 5s
		  serviceMonitorSelector: {}
		  serviceMonitorNamespaceSelector: {}
		  ruleSelector: {}
		  ruleNamespaceSelector: {}
		  # Service discovery from the host: the API server on loopback, Prometheus' own
		  # identity (files on the host, where Prometheus runs).
		  apiserverConfig:
		    host: https://$KUBE_API_ADDR
		    tlsConfig:
		      caFile: $KUBE_PKI/ca.crt
		      certFile: $KUBE_PKI/prometheus.crt
		      keyFile: $KUBE_PKI/prometheus.key
	YAML
}

# prom_version: the Prometheus release of PROMETHEUS_VERSION (v0.316.0 -> 3.16.0).
prom_version() {
	local minor=${PROMETHEUS_VERSION#v0.}
	minor=${minor%%.*}
	echo "$((minor / 100)).$((minor % 100)).${PROMETHEUS_VERSION##*.}"
}

# --- processes -----------------------------------------------------------------

# prom_proc NAME PIDFILE LOGFILE [VAR=VALUE...] CMD...: starts CMD (its line
# containing NAME) in a clean environment plus the VAR=VALUEs, unless it runs
# with these very arguments; restarts it when they changed.
prom_proc() {
	local name=$1 pidf=$2 logf=$3 envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
	shift 3
	while [[ $1 == [A-Z_]*=* ]]; do
		envs+=("$1")
		shift
	done
	if pid_alive "$pidf" "$name"; then
		[[ $(tr '\0' '\n' <"/proc/$(cat "$pidf")/cmdline") == "$(printf '%s\n' "$@")" ]] && return 0
		log "$name runs with other flags or binary, restarting it"
		prom_proc_stop "$name" "$pidf"
	fi
	rm -f "$pidf"
	setsid env -i "${envs[@]}" "$@" </dev/null >>"$logf" 2>&1 &
	echo $! >"$pidf"
	log "started $name (pid $!, log $logf)"
}

# prom_proc_stop NAME PIDFILE: SIGTERM to its process group (setsid made it the
# leader: a sync loop's sleep or curl goes with it), SIGKILL after 30 s.
prom_proc_stop() {
	local name=$1 pidf=$2 pid i
	if pid_alive "$pidf" "$name"; then
		pid=$(cat "$pidf")
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			warn "$name still running after 30s, killing it"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
		fi
		log "stopped $name"
	fi
	rm -f "$pidf"
}

# prom_port_free NAME ADDR PIDFILE: ADDR's port is free or held by our NAME.
prom_port_free() {
	local owner
	owner=$(port_owner tcp "${2##*:}")
	[[ -z $owner ]] && return
	pid_alive "$3" "$1" && [[ $owner == *"pid=$(cat "$3"),"* ]] && return
	die "$1: port ${2##*:} is already taken: $owner; stop that process (the platform's $1 needs $2)"
}

# prom_wait WHAT SECONDS NAME PIDFILE LOGFILE CMD...: retries CMD until it
# succeeds; fails naming WHAT and the log when NAME exits or time runs out.
# Its pid is only checked for life, not for NAME: prom_proc has just written
# it, and until the process execs its command line is still this script's (a
# fast first try of CMD on a busy machine saw that, and took a grafana-fake
# that was starting for one that had exited).
prom_wait() {
	local what=$1 secs=$2 name=$3 pidf=$4 logf=$5
	shift 5
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if ! pid_alive "$pidf"; then
			tail -n 30 "$logf" | sed 's/^/    /' >&2
			die "$name exited while waiting for $what; last lines of $logf above"
		fi
		if ((SECONDS >= end)); then
			tail -n 30 "$logf" | sed 's/^/    /' >&2
			die "$name: no $what after ${secs}s; last lines of $logf above"
		fi
		sleep 0.3
	done
}

# prom_bootstrap_config: until the operator's config is synced, Prometheus
# starts on an empty one.
prom_bootstrap_config() {
	[[ -L $PROMETHEUS_ETC ]] && return
	rm -rf "$PROMETHEUS_ETC" "$PROMETHEUS_ETC.bootstrap"
	mkdir -p "$PROMETHEUS_ETC.bootstrap/config_out"
	printf 'global: {scrape_interval: 5s, evaluation_interval: 5s}\n' >"$PROMETHEUS_ETC.bootstrap/config_out/prometheus.env.yaml"
	ln -sfn "etc.bootstrap" "$PROMETHEUS_ETC"
}

# prometheus_start PROM_BUILD OPERATOR_BUILD: the cluster side (identities,
# RBAC, the Prometheus CR), then the operator, Prometheus and the sync loop
# unless they run; waits until Prometheus runs the operator's config.
prometheus_start() {
	local prom=$1 op=$2 start=$SECONDS
	prom_port_free prometheus "$PROMETHEUS_ADDR" "$PROMETHEUS_PID"
	prom_port_free prometheus-operator "$PROMETHEUS_OPERATOR_ADDR" "$PROMETHEUS_OPERATOR_PID"
	mkdir -p "$PROMETHEUS_DIR/data" "$GP_STATE/bin"
	chmod 0700 "$PROMETHEUS_DIR"
	ln -sfn "$prom/bin/prometheus" "$GP_STATE/bin/prometheus"
	ln -sfn "$prom/bin/promtool" "$GP_STATE/bin/promtool"
	prom_identities
	# Server-side apply: a no-op on the server when nothing changed.
	prom_manifests "$op" | kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform -f - >/dev/null ||
		die "prometheus: applying the namespace, RBAC and Prometheus CR failed; see above"

	# Out of cluster: pkg/k8sutil's NewClusterConfig reads KUBECONFIG. No --kubelet-service: no
	# kubelet Endpoints; the admission webhook is another binary, not run.
	prom_proc prometheus-operator "$PROMETHEUS_OPERATOR_PID" "$PROMETHEUS_OPERATOR_LOG" \
		KUBECONFIG="$PROMETHEUS_OPERATOR_KUBECONFIG" "$op/bin/prometheus-operator" \
		--web.listen-address="$PROMETHEUS_OPERATOR_ADDR" \
		--prometheus-instance-namespaces="$PROMETHEUS_NAMESPACE" \
		--alertmanager-instance-namespaces="$PROMETHEUS_NAMESPACE" \
		--thanos-ruler-instance-namespaces="$PROMETHEUS_NAMESPACE"

	prom_bootstrap_config
	prom_proc prometheus "$PROMETHEUS_PID" "$PROMETHEUS_LOG" "$prom/bin/prometheus" \
		--config.file="$PROMETHEUS_CONFIG" --web.listen-address="$PROMETHEUS_ADDR" --web.enable-lifecycle \
		--storage.tsdb.path="$PROMETHEUS_DIR/data" --storage.tsdb.retention.time=6h --storage.tsdb.retention.size=1GB
	# The loop's code is in its arguments: `up` restarts it when that changed.
	prom_proc prometheus-sync "$PROMETHEUS_SYNC_PID" "$PROMETHEUS_SYNC_LOG" \
		GP_STATE="$GP_STATE" GP_CACHE="$GP_CACHE" GP_PROMETHEUS_ADDR="$PROMETHEUS_ADDR" \
		GP_PROMETHEUS_SYNC_INTERVAL="$PROMETHEUS_SYNC_INTERVAL" \
		bash "$HACK_DIR/platform" prometheus-sync \
		"$(declare -f prometheus_sync_loop prom_sync_once prom_sync_snapshot prom_sync_files prom_sync_get | sha256sum | cut -c1-12)"

	prom_wait "Prometheus ready on http://$PROMETHEUS_ADDR" 60 prometheus "$PROMETHEUS_PID" "$PROMETHEUS_LOG" \
		curl -fsS "http://$PROMETHEUS_ADDR/-/ready"
	prom_wait "config from the operator (Secret $PROMETHEUS_NAMESPACE/prometheus-$PROMETHEUS_NAME) loaded" 90 \
		prometheus-sync "$PROMETHEUS_SYNC_PID" "$PROMETHEUS_SYNC_LOG" prom_synced
	log "prometheus: $(prom_version) on http://$PROMETHEUS_ADDR, config of $PROMETHEUS_NAMESPACE/$PROMETHEUS_NAME by prometheus-operator $PROMETHEUS_OPERATOR_VERSION ($((SECONDS - start))s)"
}

# prom_synced: Prometheus runs a config the operator generated.
prom_synced() {
	local target
	target=$(readlink "$PROMETHEUS_ETC" 2>/dev/null) || return 1
	[[ $target != etc.bootstrap && $(cat "$PROMETHEUS_DIR/reloaded" 2>/dev/null) == "${target#etc.}" ]]
}

prometheus_stop() {
	prom_proc_stop prometheus-sync "$PROMETHEUS_SYNC_PID"
	prom_proc_stop prometheus "$PROMETHEUS_PID"
	prom_proc_stop prometheus-operator "$PROMETHEUS_OPERATOR_PID"
}

prometheus_status() {
	local rc=0 targets
	if pid_alive "$PROMETHEUS_PID" prometheus; then
		targets=$(curl -fsS "http://$PROMETHEUS_ADDR/api/v1/targets?state=active" 2>/dev/null |
			jq -r '.data.activeTargets | "\(length) targets, \(map(select(.health == "up")) | length) up"' 2>/dev/null) || targets="API not answering"
		echo "prometheus: running (pid $(cat "$PROMETHEUS_PID")) on http://$PROMETHEUS_ADDR, $(prom_version): $targets"
		if pid_alive "$PROMETHEUS_SYNC_PID" prometheus-sync; then
			echo "            config of $PROMETHEUS_NAMESPACE/$PROMETHEUS_NAME synced (pid $(cat "$PROMETHEUS_SYNC_PID")) into $PROMETHEUS_ETC -> $(readlink "$PROMETHEUS_ETC")"
		else
			echo "            config sync stopped: ServiceMonitor changes are not picked up"
			rc=1
		fi
	else
		echo "prometheus: stopped"
		rc=1
	fi
	if pid_alive "$PROMETHEUS_OPERATOR_PID" prometheus-operator; then
		echo "operator:   running (pid $(cat "$PROMETHEUS_OPERATOR_PID")), prometheus-operator $PROMETHEUS_OPERATOR_VERSION as $PROMETHEUS_OPERATOR_USER, metrics on http://$PROMETHEUS_OPERATOR_ADDR/metrics"
	else
		echo "operator:   stopped"
		rc=1
	fi
	return $rc
}

# --- config sync ---------------------------------------------------------------
# What the operator's pod would get from the kubelet (Secret and ConfigMaps
# mounted under /etc/prometheus) and from prometheus-config-reloader ($(VAR)
# expanded, /-/reload on change), for a Prometheus on the host. It reads with
# Prometheus' identity through one curl per look, and does more only when what
# it read changed: ~20 ms of CPU a second (one kubectl costs ~100 ms here).

# prom_sync_get: the Secrets and ConfigMaps the operator wrote in the namespace
# (its label; picked by name later): two JSON lists, one a line (compact, as
# for any client but curl's user agent), over one connection.
prom_sync_get() {
	local api=https://$KUBE_API_ADDR/api/v1/namespaces/$PROMETHEUS_NAMESPACE sel=labelSelector=managed-by%3Dprometheus-operator
	curl -fsS --fail-early --max-time 10 -A golden-path-prometheus-sync --cacert "$KUBE_PKI/ca.crt" \
		--cert "$KUBE_PKI/prometheus.crt" --key "$KUBE_PKI/prometheus.key" \
		"$api/secrets?$sel" "$api/configmaps?$sel"
}

# prom_sync_files: from prom_sync_get's lists on stdin, the generated config,
# rule files and TLS assets as one JSON object {config: base64 gzip, files:
# {"rules/<configmap>/<key>": base64, "certs/<key>": base64}}; nothing when the
# operator has not written the config yet.
prom_sync_files() {
	jq -cs --arg name "prometheus-$PROMETHEUS_NAME" '
		.[0] as $s | .[1] as $c
		| ($s.items | map(select(.metadata.name == $name)) | first | .data["prometheus.yaml.gz"]) as $config
		| if $config == null then empty else
			{config: $config, files: (
				[$c.items[] | select(.metadata.name | startswith($name + "-rulefiles-"))
					| .metadata.name as $cm | (.data // {}) | to_entries[] | {key: "rules/\($cm)/\(.key)", value: (.value | @base64)}]
				+ [$s.items[] | select(.metadata.name | startswith($name + "-tls-assets-"))
					| (.data // {}) | to_entries[] | {key: "certs/\(.key)", value: .value}]
				| from_entries)}
		end'
}

# prom_sync_snapshot JSON DIR ROOT: writes the files into DIR, laid out as the
# pod's /etc/prometheus, and the config with /etc/prometheus/ rewritten to ROOT
# (where DIR will be) and the reloader's $(POD_NAME) and $(SHARD) expanded (one
# pod, shard 0).
prom_sync_snapshot() {
	local json=$1 dir=$2 root=$3 path data
	mkdir -p "$dir/config_out"
	jq -r '.config' <<<"$json" | base64 -d | gunzip |
		sed -e "s#/etc/prometheus/#$root/#g" -e "s#\$(POD_NAME)#prometheus-$PROMETHEUS_NAME-0#g" -e 's#\$(SHARD)#0#g' \
			>"$dir/config_out/prometheus.env.yaml"
	while IFS=$'\t' read -r path data; do
		# ConfigMap and Secret names and keys: [-._a-zA-Z0-9], nothing that climbs out.
		[[ $path =~ ^(rules/[a-z0-9.-]+|certs)/[-._a-zA-Z0-9]+$ ]] || {
			warn "prometheus-sync: skipping unexpected file name $path"
			continue
		}
		mkdir -p "$dir/$(dirname "$path")"
		base64 -d <<<"$data" >"$dir/$path"
	done < <(jq -r '.files | to_entries[] | "\(.key)\t\(.value)"' <<<"$json")
}

# prom_sync_once: one look. When what the API server returned changed since
# the last look that ended well (PROM_SYNC_DONE), a new config is written as a
# snapshot $PROMETHEUS_DIR/etc.<hash>, checked with promtool, switched to and
# reloaded; $PROMETHEUS_DIR/reloaded holds the hash Prometheus last reloaded.
PROM_SYNC_DONE=""
prom_sync_once() {
	local raw secrets configmaps seen json hash snap
	raw=$(prom_sync_get) || return 1
	# A list starts with the cluster's current revision, which any write anywhere
	# moves: compare what follows. (Builtins only: this runs every second.)
	{ IFS= read -r secrets && IFS= read -r configmaps; } <<<"$raw" || return 1
	seen=${secrets#*\"items\":}${configmaps#*\"items\":}
	[[ $seen == "$PROM_SYNC_DONE" ]] && return 0
	json=$(prom_sync_files <<<"$raw") || return 1
	if [[ -z $json ]]; then # the operator has not written it yet
		PROM_SYNC_DONE=$seen
		return 0
	fi
	# Keyed by the recipe too: a changed loop rewrites what it wrote before.
	hash=$(printf '%s\n' "$json" "$(declare -f prom_sync_snapshot)" | sha256sum | cut -c1-12)
	snap=$PROMETHEUS_DIR/etc.$hash
	if [[ $(cat "$PROMETHEUS_DIR/reloaded" 2>/dev/null) == "$hash" && $(readlink "$PROMETHEUS_ETC") == "etc.$hash" ]]; then
		PROM_SYNC_DONE=$seen
		return 0
	fi
	if [[ ! -d $snap ]]; then
		rm -rf "$snap.tmp"
		prom_sync_snapshot "$json" "$snap.tmp" "$snap"
		# promtool follows the config's paths: check it in its final place.
		mv -T "$snap.tmp" "$snap"
		local out
		if ! out=$("$PROMETHEUS_BIN/promtool" check config "$snap/config_out/prometheus.env.yaml" 2>&1); then
			printf '%s: config %s rejected by promtool, Prometheus keeps the last one:\n%s\n' "$(date -Is)" "$hash" "$out"
			rm -rf "$snap"
			PROM_SYNC_DONE=$seen # until the operator writes another
			return 0
		fi
	fi
	ln -sfn "etc.$hash" "$PROMETHEUS_ETC.new"
	mv -T "$PROMETHEUS_ETC.new" "$PROMETHEUS_ETC"
	# Prometheus answers an error when the config does not load; it keeps the old one then.
	local resp
	if ! resp=$(curl -sS --max-time 30 -X POST -w ' (HTTP %{http_code})' "http://$PROMETHEUS_ADDR/-/reload" 2>&1) ||
		[[ $resp != *"(HTTP 200)" ]]; then
		printf '%s: config %s: reload failed, retrying: %s\n' "$(date -Is)" "$hash" "$resp"
		return 1
	fi
	echo "$hash" >"$PROMETHEUS_DIR/reloaded"
	PROM_SYNC_DONE=$seen
	printf '%s: config %s loaded: %s rule files, %s scrape jobs\n' "$(date -Is)" "$hash" \
		"$(find "$snap/rules" -type f 2>/dev/null | wc -l)" "$(grep -c '^- job_name:' "$snap/config_out/prometheus.env.yaml")"
	local d
	for d in "$PROMETHEUS_DIR"/etc.*; do
		[[ $d == "$snap" || $d == "$PROMETHEUS_ETC.bootstrap" ]] || rm -rf "$d"
	done
}

# prometheus_sync_loop: prom_sync_once every PROMETHEUS_SYNC_INTERVAL seconds,
# forever (`hack/platform prometheus-sync`, started by prometheus_start).
prometheus_sync_loop() {
	PROMETHEUS_BIN=$(dirname "$(readlink -f "$GP_STATE/bin/promtool")")
	echo "$(date -Is): syncing $PROMETHEUS_NAMESPACE/prometheus-$PROMETHEUS_NAME every ${PROMETHEUS_SYNC_INTERVAL}s into $PROMETHEUS_ETC"
	local failing=false
	while true; do
		if prom_sync_once; then
			$failing && echo "$(date -Is): recovered"
			failing=false
		elif ! $failing; then
			echo "$(date -Is): sync failed (API server or Prometheus down?), retrying every ${PROMETHEUS_SYNC_INTERVAL}s"
			failing=true
		fi
		sleep "$PROMETHEUS_SYNC_INTERVAL"
	done
}

# --- the Grafana fake -------------------------------------------------------------

# grafana_start: the fake on GRAFANA_ADDR with an Admin token made once (0600);
# restarted when its binary changed.
grafana_start() {
	mkdir -p "$GRAFANA_DIR"
	chmod 0700 "$GRAFANA_DIR"
	[[ -s $GRAFANA_TOKEN_FILE ]] || (umask 077 && printf 'glsa_%s' "$(openssl rand -hex 24)" >"$GRAFANA_TOKEN_FILE")
	if pid_alive "$GRAFANA_PID" grafana-fake && ! cmp -s "/proc/$(cat "$GRAFANA_PID")/exe" "$GRAFANA_BIN"; then
		log "grafana-fake: rebuilt, restarting it"
		prom_proc_stop grafana-fake "$GRAFANA_PID"
	fi
	prom_port_free grafana-fake "$GRAFANA_ADDR" "$GRAFANA_PID"
	prom_proc grafana-fake "$GRAFANA_PID" "$GRAFANA_LOG" "$GRAFANA_BIN" --addr "$GRAFANA_ADDR" --token-file "$GRAFANA_TOKEN_FILE"
	prom_wait "grafana-fake on http://$GRAFANA_ADDR" 30 grafana-fake "$GRAFANA_PID" "$GRAFANA_LOG" \
		curl -fsS "http://$GRAFANA_ADDR/api/health"
}

grafana_stop() { prom_proc_stop grafana-fake "$GRAFANA_PID"; }

grafana_status() {
	if pid_alive "$GRAFANA_PID" grafana-fake; then
		echo "grafana:    running (pid $(cat "$GRAFANA_PID")) on http://$GRAFANA_ADDR: a FAKE (pipeline/grafana/grafanatest, in memory), Admin token in $GRAFANA_TOKEN_FILE"
		return 0
	fi
	echo "grafana:    stopped (fake)"
	return 1
}
