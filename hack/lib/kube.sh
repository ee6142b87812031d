# shellcheck shell=bash
# A real single-node Kubernetes on loopback, for the deploy stage's tests and
# `make ship`: etcd, kube-apiserver on 127.0.0.1:6443, controller-manager and
# scheduler; containerd and a kubelet (node `localhost`) that run real pods on a
# CNI bridge of our own; kube-proxy in iptables mode. Binaries are built from the
# Go module proxy (cached by version); everything else is Debian's. Pods pull
# from the local mirror and, with the node's own credentials (as AKS's kubelet
# identity has AcrPull), from the authenticated "ACR" registry.

KUBE_VERSION=v1.33.13
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

KUBE_DIR=$GP_STATE/kube          # PKI, kubeconfigs, configs, etcd data, kubelet and containerd roots
KUBE_RUN=$GP_RUN/kube            # containerd's state and socket, runc's state
KUBE_PKI=$KUBE_DIR/pki
KUBE_TEAMS=$KUBE_DIR/teams # a kubeconfig per team's deployer (platform/teams.yaml)
TEAMS_FILE=$HACK_DIR/../platform/teams.yaml
KUBE_CONF=$KUBE_DIR/config
KUBE_ADMIN_KUBECONFIG=$KUBE_DIR/admin.kubeconfig
KUBE_PIPELINE_KUBECONFIG=$KUBE_DIR/pipeline.kubeconfig
KUBE_SOCK=$KUBE_RUN/containerd.sock
KUBE_API_ADDR=127.0.0.1:6443
# The name Dagger containers reach the API server by: a service binding to a tunnel of 127.0.0.1:6443.
KUBE_API_BINDING=kube-api
KUBE_NODE=localhost
KUBE_BRIDGE=gpkube0
KUBE_POD_CIDR=${GP_KUBE_POD_CIDR:-10.244.0.0/24}
KUBE_SERVICE_CIDR=${GP_KUBE_SERVICE_CIDR:-10.96.0.0/24}
KUBE_PAUSE_IMAGE=golden-path.local/pause:3.10
# The "ACR" (hack/lib/registry.sh defines it; these defaults hold when sourced alone).
KUBE_ACR_ADDR=${ACR_ADDR:-${GP_ACR_ADDR:-127.0.0.1:5001}}
KUBE_ACR_USER=${ACR_USERNAME:-golden-path}
KUBE_ACR_PASSWORD_FILE=${ACR_PASSWORD_FILE:-$GP_STATE/acr/password}
# etcd's ports: not the default 2379/2380, which a distribution's own etcd service may hold.
KUBE_ETCD_CLIENT=127.0.0.1:12379
KUBE_ETCD_PEER=127.0.0.1:12380
# Processes, in start order: name, and what their command line contains.
KUBE_PROCS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)
# Loopback ports the node takes (etcd client/peer, apiserver, kcm, scheduler, kubelet, kubelet healthz, proxy).
KUBE_PORTS=(12379 12380 6443 10257 10259 10250 10248 10249 10256)
# Kernel settings the kubelet changes at start; saved before and restored by `down`.
KUBE_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

# kube_ip CIDR N: the Nth address of a /24 (10.96.0.0/24 1 -> 10.96.0.1).
kube_ip() { local n=${1%/*}; echo "${n%.*}.$2"; }

# kube_build_dir: the cache folder for this version, Go and build recipe.
kube_build_dir() {
	local key
	key=$(inputs_key "$KUBE_VERSION" "$(go env GOVERSION GOOS GOARCH)" "${KUBE_CMDS[*]}" \
		"$(declare -f kube_build_src kube_build_bins)")
	echo "$GP_CACHE/kubernetes-$KUBE_VERSION-$key"
}

# kube_build_src DIR: a scratch module in DIR requiring k8s.io/kubernetes, with
# every staging module (./staging/src/k8s.io/x in kubernetes' own go.mod)
# replaced by its published v0.MINOR.PATCH tag.
kube_build_src() {
	local dir=$1 kmod staging
	mkdir -p "$dir"
	kmod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
	[[ -f $kmod ]] || die "kubernetes: go mod download k8s.io/kubernetes@$KUBE_VERSION printed no go.mod"
	staging="v0.${KUBE_VERSION#v1.}"
	{
		echo "module golden-path.local/kubebuild"
		echo
		grep -m1 '^go ' "$kmod"
		echo
		echo "require k8s.io/kubernetes $KUBE_VERSION"
		echo
		sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/[a-z0-9-]*$#replace \1 => \1 '"$staging"'#p' "$kmod"
	} >"$dir/go.mod"
	grep -q '^replace k8s.io/api ' "$dir/go.mod" || die "kubernetes: found no staging replaces in $kmod"
	echo "package kubebuild" >"$dir/doc.go"
}

# kube_build_bins SRC OUT: builds KUBE_CMDS, static, with the version stamped in.
kube_build_bins() {
	local src=$1 out=$2 v pkgs=() c ld=""
	local major=${KUBE_VERSION#v}
	major=${major%%.*}
	local minor=${KUBE_VERSION#v*.}
	minor=${minor%%.*}
	for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=$major -X $v.gitMinor=$minor"
		ld+=" -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
	done
	for c in "${KUBE_CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
	mkdir -p "$out"
	(
		cd "$src"
		GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -trimpath -ldflags "-s -w$ld" -o "$out/" "${pkgs[@]}"
	)
}

kube_build_into() {
	kube_build_src "$1/src"
	kube_build_bins "$1/src" "$1/bin"
}

# kube_build: builds the Kubernetes binaries unless cached; prints the folder.
kube_build() {
	local dir tmp
	dir=$(kube_build_dir)
	if [[ ! -x $dir/bin/kubectl ]]; then
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		step "kubernetes $KUBE_VERSION: build ${KUBE_CMDS[*]} from the Go module proxy" "$GP_LOGS/kube-build.log" \
			kube_build_into "$tmp"
		# Another run may have finished first: keep its build.
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

kubectl_admin() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBE_ADMIN_KUBECONFIG" "$@"; }

# kube_tools_dir: the cache folder of kubetool (CRI clean-up, image packing)
# and the pause image, keyed by hack/kubetool's files.
kube_tools_dir() {
	local key
	key=$( (
		go env GOVERSION
		echo "$KUBE_PAUSE_IMAGE"
		cd "$HACK_DIR/kubetool" && find . -type f -print0 | sort -z | xargs -0 sha256sum
	) | sha256sum | cut -c1-12)
	echo "$GP_CACHE/tools/kubetool-$key"
}

# kube_tools_build DIR: builds them from hack/kubetool's own module into DIR.
kube_tools_build() {
	local dir=$1 tmp=$1.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	(
		cd "$HACK_DIR/kubetool"
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/kubetool" .
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/pause" ./pause
	)
	"$tmp/kubetool" image --ref "$KUBE_PAUSE_IMAGE" --file "/pause=$tmp/pause" --entrypoint /pause --out "$tmp/pause.tar"
	mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
}

# kube_tools: kubetool and the pause image, built unless cached; prints their folder.
kube_tools() {
	local dir
	dir=$(kube_tools_dir)
	[[ -f $dir/pause.tar ]] || step "kubetool and pause image" "$GP_LOGS/kubetool-build.log" kube_tools_build "$dir"
	echo "$dir"
}

# kube_cache_prune KEEP...: other versions and inputs of our builds, and
# interrupted builds whose process is gone.
kube_cache_prune() {
	builds_prune "$GP_CACHE"/kubernetes-v*-* "$GP_CACHE"/tools/kubetool-* -- "$@"
}

# kube_cert NAME CN ORG EXT [SAN]: a key and a certificate signed by our CA, unless
# they exist with the same subject and SANs.
kube_cert() {
	local name=$1 cn=$2 org=$3 ext=$4 san=${5:-}
	local want
	want=$(inputs_key "$cn" "$org" "$ext" "$san")
	[[ -f $KUBE_PKI/$name.crt && $(cat "$KUBE_PKI/$name.inputs" 2>/dev/null) == "$want" ]] && return
	local subj="/CN=$cn"
	[[ -z $org ]] || subj="/O=$org$subj"
	[[ -f $KUBE_PKI/$name.key ]] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KUBE_PKI/$name.key" 2>/dev/null
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$ext"
		[[ -z $san ]] || echo "subjectAltName=$san"
	} >"$KUBE_PKI/$name.ext"
	openssl req -new -key "$KUBE_PKI/$name.key" -subj "$subj" 2>/dev/null |
		openssl x509 -req -CA "$KUBE_PKI/ca.crt" -CAkey "$KUBE_PKI/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
			-days 3650 -extfile "$KUBE_PKI/$name.ext" -out "$KUBE_PKI/$name.crt" 2>/dev/null
	echo "$want" >"$KUBE_PKI/$name.inputs"
}

# kube_pki: CA, serving and client certificates, the service-account key pair and
# the static tokens, made once and kept (0600, never printed).
kube_pki() {
	mkdir -p "$KUBE_PKI"
	chmod 0700 "$KUBE_PKI"
	(
		umask 077
		if [[ ! -f $KUBE_PKI/ca.crt ]]; then
			openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KUBE_PKI/ca.key" 2>/dev/null
			openssl req -x509 -new -key "$KUBE_PKI/ca.key" -subj "/CN=golden-path-kube-ca" -days 3650 \
				-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
				-out "$KUBE_PKI/ca.crt" 2>/dev/null
		fi
		local svc_ip
		svc_ip=$(kube_ip "$KUBE_SERVICE_CIDR" 1)
		kube_cert apiserver kube-apiserver "" serverAuth \
			"IP:127.0.0.1,IP:$svc_ip,DNS:localhost,DNS:$KUBE_API_BINDING,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
		kube_cert kubelet "system:node:$KUBE_NODE" system:nodes serverAuth "DNS:$KUBE_NODE,IP:127.0.0.1"
		kube_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth
		kube_cert front-proxy-client front-proxy-client "" clientAuth
		[[ -f $KUBE_PKI/sa.key ]] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KUBE_PKI/sa.key" 2>/dev/null
		openssl pkey -in "$KUBE_PKI/sa.key" -pubout -out "$KUBE_PKI/sa.pub" 2>/dev/null
		if [[ ! -f $KUBE_PKI/tokens.csv ]]; then
			local u
			for u in "golden-path-admin,,system:masters" "system:kube-controller-manager" "system:kube-scheduler" \
				"system:node:$KUBE_NODE,,system:nodes" "system:kube-proxy" golden-path-deployer; do
				IFS=, read -r user _ group <<<"$u"
				printf '%s,%s,%s%s\n' "$(openssl rand -hex 24)" "$user" "$user" "${group:+,\"$group\"}"
			done >"$KUBE_PKI/tokens.csv.tmp"
			mv "$KUBE_PKI/tokens.csv.tmp" "$KUBE_PKI/tokens.csv"
		fi
	)
}

# kube_token USER: the static token of USER (for a kubeconfig; never printed elsewhere).
kube_token() { awk -F, -v u="$1" '$2 == u {print $1}' "$KUBE_PKI/tokens.csv"; }

# kube_kubeconfig_file FILE SERVER USER CREDENTIAL [TLS_SERVER_NAME]: a
# kubeconfig with our CA inlined, 0600; CREDENTIAL is the user's fields, one
# "key: value" a line.
kube_kubeconfig_file() {
	local file=$1 server=$2 user=$3 credential=$4 sni=${5:-}
	(
		umask 077
		{
			cat <<-YAML
				apiVersion: v1
				kind: Config
				clusters:
				- name: golden-path
				  cluster:
				    server: $server
				    certificate-authority-data: $(base64 -w0 "$KUBE_PKI/ca.crt")${sni:+
				    tls-server-name: $sni}
				users:
				- name: $user
				  user:
			YAML
			sed 's/^/    /' <<<"$credential"
			cat <<-YAML
				contexts:
				- name: golden-path
				  context: {cluster: golden-path, user: $user, namespace: default}
				current-context: golden-path
			YAML
		} >"$file.tmp"
		mv "$file.tmp" "$file"
	)
}

# kube_kubeconfig FILE SERVER USER [TLS_SERVER_NAME]: a token kubeconfig (the
# user's static token).
kube_kubeconfig() {
	kube_kubeconfig_file "$1" "$2" "$3" "token: $(kube_token "$3")" "${4:-}"
}

# kube_cert_kubeconfig FILE SERVER NAME: a client-certificate kubeconfig (the
# key and certificate $KUBE_PKI/NAME.*, inlined).
kube_cert_kubeconfig() {
	kube_kubeconfig_file "$1" "$2" "$3" "client-certificate-data: $(base64 -w0 "$KUBE_PKI/$3.crt")
client-key-data: $(base64 -w0 "$KUBE_PKI/$3.key")"
}

# kube_team TEAM [NAMESPACES]: gives TEAM its namespaces and its deployer, as
# platform/teams.yaml lists them, or with NAMESPACES (comma-separated) for a
# team the file does not list (a test's): the Namespaces and RoleBindings of
# pipeline/tenancy, a client certificate for golden-path-deployer:TEAM and its
# kubeconfig (server https://kube-api:6443, like the pipeline's), whose path
# it prints.
kube_team() {
	local team=$1 namespaces=${2:-} manifests
	if [[ -n $namespaces ]]; then
		manifests=$(cd "$HACK_DIR/.." && go run ./hack/teams manifests --team "$team" --namespaces "$namespaces") || return 1
	else
		manifests=$(cd "$HACK_DIR/.." && go run ./hack/teams manifests --file "$TEAMS_FILE" --team "$team") || return 1
	fi
	(
		umask 077
		kube_cert "deployer-$team" "golden-path-deployer:$team" golden-path-deployers clientAuth
	)
	mkdir -p "$KUBE_TEAMS"
	kube_cert_kubeconfig "$KUBE_TEAMS/$team.kubeconfig" "https://$KUBE_API_BINDING:${KUBE_API_ADDR##*:}" "deployer-$team"
	kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform -f - <<<"$manifests" >/dev/null || return 1
	echo "$KUBE_TEAMS/$team.kubeconfig"
}

# kube_teams: every team of platform/teams.yaml (kube_team).
kube_teams() {
	local team teams
	teams=$(cd "$HACK_DIR/.." && go run ./hack/teams list --file "$TEAMS_FILE") || return 1
	for team in $teams; do
		kube_team "$team" >/dev/null || return 1
	done
}

kube_kubeconfigs() {
	mkdir -p "$KUBE_CONF"
	kube_kubeconfig "$KUBE_ADMIN_KUBECONFIG" "https://$KUBE_API_ADDR" golden-path-admin
	kube_kubeconfig "$KUBE_PIPELINE_KUBECONFIG" "https://$KUBE_API_BINDING:${KUBE_API_ADDR##*:}" golden-path-deployer
	kube_kubeconfig "$KUBE_CONF/controller-manager.kubeconfig" "https://$KUBE_API_ADDR" system:kube-controller-manager
	kube_kubeconfig "$KUBE_CONF/scheduler.kubeconfig" "https://$KUBE_API_ADDR" system:kube-scheduler
	kube_kubeconfig "$KUBE_CONF/kubelet.kubeconfig" "https://$KUBE_API_ADDR" "system:node:$KUBE_NODE"
	kube_kubeconfig "$KUBE_CONF/proxy.kubeconfig" "https://$KUBE_API_ADDR" system:kube-proxy
}

# kube_registry_hosts: containerd's per-registry config: the local mirror
# (also as docker.io's mirror) and "ACR", both plain http on loopback.
kube_registry_hosts() {
	local d=$KUBE_CONF/certs.d addr
	rm -rf "$d"
	for addr in "$REGISTRY_ADDR" "$KUBE_ACR_ADDR"; do
		mkdir -p "$d/$addr"
		printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$addr" "$addr" >"$d/$addr/hosts.toml"
	done
	mkdir -p "$d/docker.io"
	printf 'server = "https://registry-1.docker.io"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$REGISTRY_ADDR" >"$d/docker.io/hosts.toml"
}

# kube_containerd_config: containerd's config on stdout. The ACR password is
# read here from its file into this 0600 config only (CRI registry auth: the
# node pulls with its own identity, pods need no imagePullSecret).
kube_containerd_config() {
	cat <<-TOML
		version = 2
		root = "$KUBE_DIR/containerd"
		state = "$KUBE_RUN/containerd"
		disabled_plugins = ["io.containerd.internal.v1.tracing", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
		[grpc]
		  address = "$KUBE_SOCK"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$KUBE_DIR/containerd-opt"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "$KUBE_PAUSE_IMAGE"
		  netns_mounts_under_state_dir = true
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    snapshotter = "overlayfs"
		    default_runtime_name = "runc"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
		        BinaryName = "$KUBE_DIR/bin/runc-wrapper"
		        Root = "$KUBE_RUN/runc"
		        SystemdCgroup = false
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "/usr/lib/cni"
		    conf_dir = "$KUBE_CONF/cni"
		  [plugins."io.containerd.grpc.v1.cri".registry]
		    config_path = "$KUBE_CONF/certs.d"
	TOML
	if [[ -s $KUBE_ACR_PASSWORD_FILE ]]; then
		local pw
		pw=$(<"$KUBE_ACR_PASSWORD_FILE")
		pw=${pw//\\/\\\\}
		pw=${pw//\"/\\\"}
		printf '    [plugins."io.containerd.grpc.v1.cri".registry.configs."%s".auth]\n      username = "%s"\n      password = "%s"\n' \
			"$KUBE_ACR_ADDR" "$KUBE_ACR_USER" "$pw"
	fi
}

kube_cni_config() {
	cat <<-JSON
		{
		  "cniVersion": "1.0.0",
		  "name": "$KUBE_BRIDGE",
		  "plugins": [
		    {
		      "type": "bridge",
		      "bridge": "$KUBE_BRIDGE",
		      "isGateway": true,
		      "ipMasq": false,
		      "hairpinMode": true,
		      "ipam": {
		        "type": "host-local",
		        "dataDir": "$KUBE_RUN/cni-ipam",
		        "ranges": [[{"subnet": "$KUBE_POD_CIDR", "gateway": "$(kube_ip "$KUBE_POD_CIDR" 1)"}]],
		        "routes": [{"dst": "$KUBE_SERVICE_CIDR"}]
		      }
		    },
		    {"type": "portmap", "capabilities": {"portMappings": true}}
		  ]
		}
	JSON
}

kube_kubelet_config() {
	cat <<-YAML
		apiVersion: kubelet.config.k8s.io/v1beta1
		kind: KubeletConfiguration
		address: 127.0.0.1
		port: 10250
		readOnlyPort: 0
		healthzBindAddress: 127.0.0.1
		healthzPort: 10248
		authentication:
		  anonymous: {enabled: false}
		  webhook: {enabled: true}
		  x509: {clientCAFile: $KUBE_PKI/ca.crt}
		authorization: {mode: Webhook}
		tlsCertFile: $KUBE_PKI/kubelet.crt
		tlsPrivateKeyFile: $KUBE_PKI/kubelet.key
		containerRuntimeEndpoint: unix://$KUBE_SOCK
		cgroupDriver: cgroupfs
		failCgroupV1: false
		failSwapOn: false
		podLogsDir: $KUBE_DIR/pod-logs
		volumePluginDir: $KUBE_DIR/kubelet/volume-plugins
		clusterDomain: cluster.local
		resolvConf: /etc/resolv.conf
		serializeImagePulls: false
		imageGCHighThresholdPercent: 95
		imageGCLowThresholdPercent: 90
		evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
		maxPods: 60
		registerNode: true
		localStorageCapacityIsolation: false
	YAML
}

kube_proxy_config() {
	cat <<-YAML
		apiVersion: kubeproxy.config.k8s.io/v1alpha1
		kind: KubeProxyConfiguration
		clientConnection: {kubeconfig: $KUBE_CONF/proxy.kubeconfig}
		hostnameOverride: $KUBE_NODE
		bindAddress: 127.0.0.1
		healthzBindAddress: 127.0.0.1:10256
		metricsBindAddress: 127.0.0.1:10249
		mode: iptables
		clusterCIDR: $KUBE_POD_CIDR
		detectLocalMode: ClusterCIDR
		nodePortAddresses: [$(kube_ip "$KUBE_POD_CIDR" 1)/32]
		iptables: {masqueradeAll: true, localhostNodePorts: false, syncPeriod: 30s, minSyncPeriod: 0s}
		conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
	YAML
}

# kube_put NAME FILE: writes stdin to FILE unless FILE already holds it; a
# change is noted for NAME (kube-proxy even exits when its config file is
# rewritten), so that kube_start restarts it.
kube_put() {
	local name=$1 file=$2
	(umask 077 && cat >"$file.new")
	if cmp -s "$file.new" "$file"; then
		rm -f "$file.new"
		return
	fi
	mv "$file.new" "$file"
	KUBE_CHANGED+=("$name")
}

KUBE_CHANGED=()

kube_configs() {
	mkdir -p "$KUBE_CONF/cni" "$KUBE_RUN" "$KUBE_DIR/pod-logs"
	kube_registry_hosts
	kube_put cni "$KUBE_CONF/cni/10-$KUBE_BRIDGE.conflist" < <(kube_cni_config)
	kube_put kubelet "$KUBE_CONF/kubelet.yaml" < <(kube_kubelet_config)
	kube_put kube-proxy "$KUBE_CONF/proxy.yaml" < <(kube_proxy_config)
	kube_put containerd "$KUBE_CONF/containerd.toml" < <(kube_containerd_config)
}

# kube_proc NAME CMD...: starts CMD as NAME (pid file, log) unless it runs
# with these very arguments and an unchanged config file, with a clean environment: etcd reads any ETCD_*
# variable as a flag.
kube_proc() {
	local name=$1
	shift
	local pidf
	pidf=$GP_RUN/$(kube_file "$name").pid
	if pid_alive "$pidf" "$name"; then
		if [[ $(tr '\0' '\n' <"/proc/$(cat "$pidf")/cmdline") != "$(printf '%s\n' "$@")" ]]; then
			log "kube: $name runs with other flags or binary, restarting it (pods keep running)"
		elif [[ " ${KUBE_CHANGED[*]} " == *" $name "* ]]; then
			log "kube: $name's config changed, restarting it (pods keep running)"
		else
			return 0
		fi
		kube_proc_stop "$name"
	fi
	rm -f "$pidf"
	setsid env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" \
		</dev/null >>"$GP_LOGS/$(kube_file "$name").log" 2>&1 &
	echo $! >"$pidf"
	log "kube: started $name (pid $!, log $GP_LOGS/$(kube_file "$name").log)"
}

# kube_wait WHAT SECONDS NAME CMD...: retries CMD until it succeeds; fails
# naming WHAT and NAME's log when NAME exits or time runs out.
kube_wait() {
	local what=$1 secs=$2 name=$3
	shift 3
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if ! pid_alive "$GP_RUN/$(kube_file "$name").pid"; then
			tail -n 30 "$GP_LOGS/$(kube_file "$name").log" | sed 's/^/    /' >&2
			die "kube: $name exited while waiting for $what; last lines of $GP_LOGS/$(kube_file "$name").log above"
		fi
		if ((SECONDS >= end)); then
			tail -n 30 "$GP_LOGS/$(kube_file "$name").log" | sed 's/^/    /' >&2
			die "kube: no $what after ${secs}s; last lines of $GP_LOGS/$(kube_file "$name").log above"
		fi
		sleep 0.3
	done
}

# kube_file NAME: the base name of NAME's pid and log files (kube-apiserver, kube-etcd, ...).
kube_file() { echo "kube-${1#kube-}"; }

kube_running() { pid_alive "$GP_RUN/$(kube_file "$1").pid" "$1"; }

# kube_preflight: every port we take is free, unless its owner is ours.
kube_preflight() {
	local p owner
	for p in "${KUBE_PORTS[@]}"; do
		owner=$(port_owner tcp "$p")
		[[ -z $owner ]] && continue
		local n ours=false
		for n in "${KUBE_PROCS[@]}"; do
			kube_running "$n" && [[ $owner == *"pid=$(cat "$GP_RUN/$(kube_file "$n").pid"),"* ]] && ours=true
		done
		$ours || die "kube: port $p is already taken: $owner; stop that process (the node needs ports ${KUBE_PORTS[*]} on 127.0.0.1)"
	done
}

# kube_network: our bridge with the gateway address, and the service range routed onto it.
kube_network() {
	local gw
	gw=$(kube_ip "$KUBE_POD_CIDR" 1)
	if ! ip link show "$KUBE_BRIDGE" >/dev/null 2>&1; then
		ip link add "$KUBE_BRIDGE" type bridge
		log "network: created bridge $KUBE_BRIDGE ($KUBE_POD_CIDR)"
	fi
	ip addr replace "$gw/${KUBE_POD_CIDR#*/}" dev "$KUBE_BRIDGE"
	ip link set "$KUBE_BRIDGE" up
	ip route replace "$KUBE_SERVICE_CIDR" dev "$KUBE_BRIDGE" src "$gw"
}

kube_containerd() {
	mkdir -p "$KUBE_RUN/containerd" "$KUBE_RUN/runc" "$KUBE_DIR/containerd" "$KUBE_DIR/bin"
	install -m 0755 "$HACK_DIR/kube/runc-wrapper" "$KUBE_DIR/bin/runc-wrapper"
	kube_proc containerd containerd --config "$KUBE_CONF/containerd.toml"
	kube_wait "containerd socket $KUBE_SOCK" 30 containerd ctr --address "$KUBE_SOCK" version
	# The CRI plugin answers later (longer after an unclean stop): a kubelet started before exits at once.
	kube_wait "containerd's CRI on $KUBE_SOCK" 120 containerd "$(kube_tools_dir)/kubetool" cri-ready --endpoint "unix://$KUBE_SOCK"
}

# kube_sysctls_save: the kernel settings the kubelet will change, saved once per up/down cycle.
kube_sysctls_save() {
	local f=$GP_RUN/kube-sysctl.saved k
	[[ -f $f ]] && return
	for k in "${KUBE_SYSCTLS[@]}"; do
		echo "$k=$(sysctl -n "$k")"
	done >"$f.tmp"
	mv "$f.tmp" "$f"
}

kube_sysctls_restore() {
	local f=$GP_RUN/kube-sysctl.saved
	[[ -f $f ]] || return 0
	sysctl -q -p "$f" >/dev/null || warn "kube: could not restore every kernel setting in $f"
	rm -f "$f"
}

# kube_start BUILD TOOLS: starts what is not running, then waits until the node
# is Ready and the default ServiceAccount exists.
kube_start() {
	KUBE_BIN=$1/bin
	local tools=$2 start=$SECONDS
	ln -sfn "$KUBE_BIN/kubectl" "$GP_STATE/bin/kubectl"
	kube_preflight
	[[ -s $KUBE_ACR_PASSWORD_FILE ]] ||
		warn "kube: no ACR password in $KUBE_ACR_PASSWORD_FILE: pods will not pull from $KUBE_ACR_ADDR (start the ACR registry first)"
	mkdir -p "$KUBE_DIR" "$GP_LOGS" "$KUBE_DIR/etcd"
	chmod 0700 "$KUBE_DIR"
	kube_pki
	kube_kubeconfigs
	kube_configs

	kube_proc etcd etcd --name golden-path --data-dir "$KUBE_DIR/etcd" --logger zap --log-outputs stderr \
		--listen-client-urls "http://$KUBE_ETCD_CLIENT" --advertise-client-urls "http://$KUBE_ETCD_CLIENT" \
		--listen-peer-urls "http://$KUBE_ETCD_PEER" --initial-advertise-peer-urls "http://$KUBE_ETCD_PEER" \
		--initial-cluster "golden-path=http://$KUBE_ETCD_PEER" --snapshot-count 10000 --quota-backend-bytes 2147483648
	kube_wait "etcd health on $KUBE_ETCD_CLIENT" 30 etcd curl -fsS "http://$KUBE_ETCD_CLIENT/health"

	kube_proc kube-apiserver "$KUBE_BIN/kube-apiserver" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="${KUBE_API_ADDR##*:}" \
		--endpoint-reconciler-type=none --etcd-servers="http://$KUBE_ETCD_CLIENT" \
		--service-cluster-ip-range="$KUBE_SERVICE_CIDR" --allow-privileged=true \
		--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
		--client-ca-file="$KUBE_PKI/ca.crt" --token-auth-file="$KUBE_PKI/tokens.csv" \
		--tls-cert-file="$KUBE_PKI/apiserver.crt" --tls-private-key-file="$KUBE_PKI/apiserver.key" \
		--kubelet-client-certificate="$KUBE_PKI/apiserver-kubelet-client.crt" \
		--kubelet-client-key="$KUBE_PKI/apiserver-kubelet-client.key" \
		--kubelet-certificate-authority="$KUBE_PKI/ca.crt" --kubelet-preferred-address-types=Hostname \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$KUBE_PKI/sa.pub" --service-account-signing-key-file="$KUBE_PKI/sa.key" \
		--requestheader-client-ca-file="$KUBE_PKI/ca.crt" --requestheader-allowed-names=front-proxy-client \
		--requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
		--requestheader-extra-headers-prefix=X-Remote-Extra- \
		--proxy-client-cert-file="$KUBE_PKI/front-proxy-client.crt" --proxy-client-key-file="$KUBE_PKI/front-proxy-client.key" \
		--profiling=false
	kube_wait "API server ready on https://$KUBE_API_ADDR" 90 kube-apiserver kubectl_admin get --raw /readyz

	kube_proc kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
		--kubeconfig="$KUBE_CONF/controller-manager.kubeconfig" \
		--authentication-kubeconfig="$KUBE_CONF/controller-manager.kubeconfig" \
		--authorization-kubeconfig="$KUBE_CONF/controller-manager.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false --use-service-account-credentials=true \
		--service-account-private-key-file="$KUBE_PKI/sa.key" --root-ca-file="$KUBE_PKI/ca.crt" \
		--cluster-signing-cert-file="$KUBE_PKI/ca.crt" --cluster-signing-key-file="$KUBE_PKI/ca.key" \
		--service-cluster-ip-range="$KUBE_SERVICE_CIDR" --profiling=false
	kube_proc kube-scheduler "$KUBE_BIN/kube-scheduler" \
		--kubeconfig="$KUBE_CONF/scheduler.kubeconfig" \
		--authentication-kubeconfig="$KUBE_CONF/scheduler.kubeconfig" \
		--authorization-kubeconfig="$KUBE_CONF/scheduler.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false --profiling=false

	kube_network
	kube_containerd
	ctr --address "$KUBE_SOCK" -n k8s.io images import "$tools/pause.tar" >/dev/null

	kube_sysctls_save
	[[ -d /var/log/containers ]] || touch "$GP_RUN/kube-varlog-ours"
	kube_proc kubelet "$KUBE_BIN/kubelet" --config="$KUBE_CONF/kubelet.yaml" \
		--kubeconfig="$KUBE_CONF/kubelet.kubeconfig" --hostname-override="$KUBE_NODE" \
		--node-ip="$(kube_ip "$KUBE_POD_CIDR" 1)" --root-dir="$KUBE_DIR/kubelet" --cert-dir="$KUBE_PKI/kubelet-certs"
	kube_proc kube-proxy "$KUBE_BIN/kube-proxy" --config="$KUBE_CONF/proxy.yaml"

	kube_wait "RBAC for the pipeline's deployer" 60 kube-apiserver \
		kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform \
		-f "$HACK_DIR/kube/deployer-rbac.yaml"
	kube_teams || die "kube: the teams of $TEAMS_FILE could not be set up"
	kube_wait "node $KUBE_NODE" 60 kubelet kubectl_admin get node "$KUBE_NODE"
	kube_wait "node $KUBE_NODE Ready" 120 kubelet kubectl_admin wait --for=condition=Ready "node/$KUBE_NODE" --timeout=2s
	# The node's Ready condition may be the last kubelet's: this one must still run.
	sleep 1
	if ! kube_running kubelet; then
		tail -n 30 "$GP_LOGS/$(kube_file kubelet).log" | sed 's/^/    /' >&2
		die "kube: the kubelet exited after it started; last lines of $GP_LOGS/$(kube_file kubelet).log above"
	fi
	kube_wait "default ServiceAccount" 60 kube-controller-manager kubectl_admin -n default get serviceaccount default
	kube_crds
	log "kube: node $KUBE_NODE Ready, API on https://$KUBE_API_ADDR ($((SECONDS - start))s); KUBECONFIG=$KUBE_ADMIN_KUBECONFIG"
}

# The CRDs the deploy stage's manifests need, as AKS add-ons provide them (only
# the CRDs, no controllers): prometheus-operator's (ServiceMonitor, PrometheusRule,
# ...) and the Secrets Store CSI driver's SecretProviderClass. Each is a Go
# module version and the files in it: MODULE@VERSION DIR GLOB. (The driver's
# newest, v1.5.4, is served, but the checksum DB here has no entry for it.)
KUBE_CRDS=(
	"github.com/prometheus-operator/prometheus-operator@v0.85.0 example/prometheus-operator-crd *.yaml"
	"sigs.k8s.io/secrets-store-csi-driver@v1.5.3 deploy secrets-store.csi.x-k8s.io_secretproviderclasses.yaml"
)

# kube_crds_fetch MODULE@VERSION DIR GLOB: copies the files from the module zip
# (through the Go module proxy, checked against the checksum DB) into
# $GP_CACHE/crds/NAME-VERSION unless they are there; prints that folder.
kube_crds_fetch() {
	local modver=$1 sub=$2 glob=$3
	local mod=${modver%@*} version=${modver#*@}
	local dir=$GP_CACHE/crds/${mod##*/}-$version
	if [[ ! -f $dir/.golden-path-complete ]]; then
		local json src tmp=$dir.tmp.$$ f n=0
		# Outside any module, so that no go.mod or go.sum changes.
		mkdir -p "$GP_CACHE/crds"
		json=$(cd "$GP_CACHE/crds" && go mod download -json "$modver") || true
		src=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
		[[ -n $src && -d $src/$sub ]] ||
			die "kube: CRDs: go mod download -json $modver gave no folder $sub: $(sed -n 's/^\t"Error": //p' <<<"$json")"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		for f in "$src/$sub"/$glob; do
			[[ -f $f ]] || continue
			install -m 0644 "$f" "$tmp/"
			n=$((n + 1))
		done
		((n > 0)) || die "kube: CRDs: no $sub/$glob in $modver"
		touch "$tmp/.golden-path-complete"
		rm -rf "$dir"
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

# kube_crds: applies KUBE_CRDS (server-side, idempotent) and waits until the API
# server serves them. The apply (~4 s for 4 MB of schemas) is skipped when the
# cluster still has these very files' CRDs, Established ($KUBE_DIR/crds.applied
# records what was applied; it goes with the cluster's data).
kube_crds() {
	local c modver sub glob dir dirs=() args=() names=() key stamp=$KUBE_DIR/crds.applied
	for c in "${KUBE_CRDS[@]}"; do
		read -r modver sub glob <<<"$c"
		dir=$(kube_crds_fetch "$modver" "$sub" "$glob")
		dirs+=("$dir")
		args+=(-f "$dir")
	done
	key=$(find "${dirs[@]}" -name '*.yaml' -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
	if [[ -f $stamp && $(head -n1 "$stamp") == "$key" ]]; then
		mapfile -t names < <(tail -n +2 "$stamp")
		local established
		established=$(kubectl_admin get "${names[@]}" \
			-o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Established")].status}{"\n"}{end}' 2>/dev/null) || true
		if ((${#names[@]} > 0)) && [[ $established == "$(printf 'True\n%.0s' "${names[@]}" | head -c -1)" ]]; then
			log "kube: ${#names[@]} CRDs already installed (prometheus-operator, secrets-store CSI)"
			return
		fi
	fi
	rm -f "$stamp"
	local out
	out=$(kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform "${args[@]}" -o name) ||
		die "kube: applying the CRDs in ${dirs[*]} failed; see above"
	mapfile -t names <<<"$out"
	kubectl_admin wait --for=condition=Established --timeout=60s "${names[@]}" >/dev/null ||
		die "kube: CRDs not Established after 60s: ${names[*]}"
	printf '%s\n' "$key" "${names[@]}" >"$stamp"
	log "kube: ${#names[@]} CRDs applied and Established (prometheus-operator, secrets-store CSI)"
}

# kube_proc_stop NAME: SIGTERM, then SIGKILL after 30 s.
kube_proc_stop() {
	local name=$1 pidf=$GP_RUN/$(kube_file "$1").pid pid i
	if kube_running "$name"; then
		pid=$(cat "$pidf")
		kill -TERM "$pid"
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			warn "kube: $name still running after 30s, killing it"
			kill -KILL "$pid"
		fi
		log "kube: stopped $name"
	fi
	rm -f "$pidf"
}

# kube_stop: stops the node and control plane and removes what they made on the
# host: pod sandboxes (with their network namespaces and mounts), leftover
# shims, mounts under our folders, iptables chains, the bridge and its route,
# the pods' cgroups, and the kernel settings the kubelet changed. Cluster data
# (etcd, PKI, images) stays in $KUBE_DIR for the next `up`.
kube_stop() {
	kube_proc_stop kubelet
	kube_proc_stop kube-proxy
	if kube_running containerd; then
		local tool
		tool=$(kube_tools_dir)/kubetool
		[[ -x $tool ]] || tool=$(ls -d "$GP_CACHE"/tools/kubetool-*/kubetool 2>/dev/null | head -n1)
		if [[ -n $tool ]]; then
			"$tool" rm-sandboxes --endpoint "unix://$KUBE_SOCK" || warn "kube: some pod sandboxes could not be removed"
		else
			warn "kube: no kubetool in $GP_CACHE/tools to remove pod sandboxes with"
		fi
	fi
	kube_proc_stop containerd
	kube_shims_stop
	kube_unmount
	kube_iptables_cleanup
	if ip link show "$KUBE_BRIDGE" >/dev/null 2>&1; then
		local veth
		for veth in $(ip -o link show master "$KUBE_BRIDGE" | awk -F': ' '{print $2}' | cut -d@ -f1); do
			ip link delete "$veth" 2>/dev/null || true
		done
		ip link delete "$KUBE_BRIDGE"
		log "network: removed bridge $KUBE_BRIDGE and its route to $KUBE_SERVICE_CIDR"
	fi
	# Runtime state only (cluster data stays in $KUBE_DIR), once nothing is mounted there.
	findmnt -rn -o TARGET | grep -q "^$KUBE_RUN/" || rm -rf "$KUBE_RUN"
	kube_cgroups_cleanup
	kube_sysctls_restore
	kube_pod_log_links_cleanup
	local n
	for n in kube-scheduler kube-controller-manager kube-apiserver etcd; do
		kube_proc_stop "$n"
	done
}

# kube_shims_stop: containerd's shims outlive it; ours name our socket.
kube_shims_stop() {
	local p pids=()
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- "containerd-shim.* -address $KUBE_SOCK " && pids+=("${p#/proc/}")
	done
	((${#pids[@]} == 0)) && return
	log "kube: stopping ${#pids[@]} containerd shims left running"
	kill -KILL "${pids[@]}" 2>/dev/null || true
}

# kube_unmount: what is still mounted under our folders (volumes, rootfs, shm), deepest first.
kube_unmount() {
	local m n=0
	while IFS= read -r m; do
		umount -l "$m" 2>/dev/null && n=$((n + 1))
	done < <(findmnt -rn -o TARGET | grep -E "^($KUBE_DIR|$KUBE_RUN)/" | sort -r)
	((n == 0)) || log "kube: unmounted $n mounts"
}

# kube_iptables_cleanup: kube-proxy's rules (its own --cleanup) and the
# kubelet's chains; nothing else.
kube_iptables_cleanup() {
	local bin
	bin=$(ls -d "$GP_CACHE"/kubernetes-"$KUBE_VERSION"-*/bin/kube-proxy 2>/dev/null | head -n1)
	[[ -z $bin ]] || "$bin" --cleanup >/dev/null 2>&1 || true
	local ipt table chain
	for ipt in iptables ip6tables; do
		command -v "$ipt" >/dev/null || continue
		for table in filter nat mangle; do
			for chain in KUBE-KUBELET-CANARY KUBE-PROXY-CANARY KUBE-IPTABLES-HINT KUBE-FIREWALL KUBE-FORWARD KUBE-MARK-MASQ KUBE-MARK-DROP KUBE-POSTROUTING; do
				"$ipt" -w -t "$table" -S "$chain" >/dev/null 2>&1 || continue
				"$ipt" -w -t "$table" -S | grep -E -- "^-A [A-Z-]+ .*-j $chain( |$)" | while IFS= read -r rule; do
					eval "$ipt -w -t $table -D ${rule#-A }" || true
				done || true
				"$ipt" -w -t "$table" -F "$chain" 2>/dev/null || true
				"$ipt" -w -t "$table" -X "$chain" 2>/dev/null || true
			done
		done
	done
}

# kube_cgroups_cleanup: the kubelet's kubepods hierarchy in every controller, once empty.
kube_cgroups_cleanup() {
	local d
	for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods.slice; do
		[[ -d $d ]] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

# kube_pod_log_links_cleanup: the kubelet links /var/log/containers/* to our pod logs.
kube_pod_log_links_cleanup() {
	local l
	for l in /var/log/containers/*.log; do
		[[ -L $l && $(readlink "$l") == "$KUBE_DIR/pod-logs/"* ]] && rm -f "$l"
	done
	if [[ -f $GP_RUN/kube-varlog-ours ]]; then
		rmdir /var/log/containers 2>/dev/null || true
		rm -f "$GP_RUN/kube-varlog-ours"
	fi
}

kube_status() {
	local n stopped=()
	for n in "${KUBE_PROCS[@]}"; do kube_running "$n" || stopped+=("$n"); done
	if ((${#stopped[@]} == 0)); then
		echo "kube:     running: API https://$KUBE_API_ADDR, node $KUBE_NODE, pods on $KUBE_BRIDGE ($KUBE_POD_CIDR), services $KUBE_SERVICE_CIDR"
		echo "          KUBECONFIG=$KUBE_ADMIN_KUBECONFIG; pipeline: $KUBE_PIPELINE_KUBECONFIG (https://$KUBE_API_BINDING:${KUBE_API_ADDR##*:})"
		return 0
	elif ((${#stopped[@]} == ${#KUBE_PROCS[@]})); then
		echo "kube:     stopped"
	else
		echo "kube:     degraded: not running: ${stopped[*]}"
	fi
	return 1
}
