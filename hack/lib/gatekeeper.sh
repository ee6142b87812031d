# shellcheck shell=bash
# Policy admission for the local platform, the way OPA Gatekeeper runs on a
# cluster, so that ConstraintTemplates (Rego) and Constraints the pipeline
# applies really refuse objects at the API server:
#   - the Gatekeeper controller-manager v3.23.1, on the host, out of cluster
#     (like prometheus-operator), with its own identity (upstream's ClusterRole),
#     operations webhook, audit, status and generate; its webhook serves TLS on loopback
#     with a certificate of our own (no cert rotation, no Service);
#   - a ValidatingWebhookConfiguration that calls it by URL
#     (https://127.0.0.1:<port>/v1/admit), failurePolicy Ignore, skipping
#     kube-system and the platform's namespaces: the cluster keeps working
#     when the manager is stopped;
#   - gator, the CLI that evaluates the same templates and constraints on
#     manifests without a cluster (`gator test`, `gator verify`), linked as
#     $GP_STATE/bin/gator: what the pipeline is to run (as a container image)
#     before it deploys;
#   - the security team's policy (policy/gatekeeper): its templates, the
#     ExpansionTemplates that have the webhook check a workload (Deployment,
#     CronJob...) as the Pods it creates, and the constraints, applied by
#     gatekeeper_policy.
# Binaries are built from the Go module proxy, cached by version. Needs the
# cluster (hack/lib/kube.sh) running.

GATEKEEPER_MODULE=github.com/open-policy-agent/gatekeeper/v3
GATEKEEPER_VERSION=v3.23.1

# The webhook (TLS) and the health/readiness probes on loopback (upstream's
# defaults are :443 and :9090 on every interface).
GATEKEEPER_WEBHOOK_ADDR=${GP_GATEKEEPER_WEBHOOK_ADDR:-127.0.0.1:8443}
GATEKEEPER_HEALTH_ADDR=${GP_GATEKEEPER_HEALTH_ADDR:-127.0.0.1:9095}
# Gatekeeper's own metrics (its Prometheus exporter): upstream binds it to
# ":<port>", every interface, with no flag for the host; controller-runtime's
# metrics (--metrics-addr) stay off, as upstream's default.
GATEKEEPER_PROMETHEUS_PORT=${GP_GATEKEEPER_PROMETHEUS_PORT:-8888}
# The manager's "pod" namespace: where it writes its status objects
# (ConstraintPodStatus, ...). Out of cluster nothing runs there, so it need not
# be exempt from the webhook.
GATEKEEPER_NAMESPACE=${GP_GATEKEEPER_NAMESPACE:-gatekeeper-system}
GATEKEEPER_POD_NAME=golden-path-gatekeeper-host
# Namespaces the webhook never sees: the cluster's own and the platform's.
GATEKEEPER_EXEMPT_NAMESPACES=(kube-system kube-public kube-node-lease monitoring)
GATEKEEPER_WEBHOOK_NAME=golden-path-gatekeeper-validating
GATEKEEPER_USER=golden-path-gatekeeper

GATEKEEPER_DIR=$GP_STATE/gatekeeper # serving certificate (certs/), kubeconfig
GATEKEEPER_CERTS=$GATEKEEPER_DIR/certs
GATEKEEPER_KUBECONFIG=$GATEKEEPER_DIR/manager.kubeconfig
GATEKEEPER_PID=$GP_RUN/gatekeeper.pid
GATEKEEPER_LOG=$GP_LOGS/gatekeeper.log

# --- build -------------------------------------------------------------------

# gk_build_dir: the cache folder of the build, keyed by version, Go and recipe.
gk_build_dir() {
	local key
	key=$(inputs_key "$GATEKEEPER_MODULE@$GATEKEEPER_VERSION" "$(go env GOVERSION GOOS GOARCH)" \
		"$(declare -f gk_build_into gk_build_one gk_webhook_template)")
	echo "$GP_CACHE/gatekeeper-$GATEKEEPER_VERSION-$key"
}

# gk_build_one DIR NAME PKG: `go build` of PKG into DIR/bin/NAME, at the lowest
# priority, its wall time and max RSS in DIR/build-NAME.time (/usr/bin/time -v).
gk_build_one() {
	local dir=$1 name=$2 pkg=$3
	(
		cd "$dir/src" || exit
		export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
		/usr/bin/time -v -o "$dir/build-$name.time" nice -n 19 \
			go build -trimpath -ldflags "-s -w -X $GATEKEEPER_MODULE/pkg/version.Version=$GATEKEEPER_VERSION" \
			-o "$dir/bin/$name" "$pkg"
	)
	log "$name: $(gk_build_time "$dir/build-$name.time"), $(stat -c %s "$dir/bin/$name") bytes"
}

# gk_build_time FILE: "wall W, max RSS R KB" from a /usr/bin/time -v report.
gk_build_time() {
	awk -F': ' '/Elapsed \(wall clock\)/ {w = $2} /Maximum resident set size/ {r = $2}
		END {printf "wall %s, max RSS %s KB", w, r}' "$1"
}

# gk_webhook_template SRC: upstream's validation webhook (config/webhook:
# path /v1/admit, its rules) as a ValidatingWebhookConfiguration template
# calling a URL: @URL@, @CA_BUNDLE@ and @EXEMPT@ (a YAML list) are filled in by
# gatekeeper_start. Upstream's second webhook (check-ignore-label, on
# namespaces, failurePolicy Fail) is left out: with the manager stopped it
# would refuse every namespace change.
gk_webhook_template() {
	local rules
	# The rules of the webhook whose path is /v1/admit, re-indented under `webhooks: - `.
	rules=$(awk '/path: \/v1\/admit$/ {admit = 1; next}
		admit && /^  rules:/ {on = 1}
		on && /^  [a-zA-Z]/ && !/^  rules:/ {exit}
		on {print "  " $0}' "$1/config/webhook/manifests.yaml")
	[[ $rules == *"operations:"* ]] || die "gatekeeper: found no /v1/admit rules in config/webhook/manifests.yaml"
	cat <<-YAML
		apiVersion: admissionregistration.k8s.io/v1
		kind: ValidatingWebhookConfiguration
		metadata:
		  name: $GATEKEEPER_WEBHOOK_NAME
		  labels: {app.kubernetes.io/managed-by: golden-path-platform}
		webhooks:
		  - name: validation.gatekeeper.sh
		    admissionReviewVersions: [v1, v1beta1]
		    clientConfig:
		      url: @URL@
		      caBundle: @CA_BUNDLE@
		    # Ignore: an answer that does not come (manager stopped, slow) admits.
		    failurePolicy: Ignore
		    matchPolicy: Exact
		    sideEffects: None
		    timeoutSeconds: 3
		    namespaceSelector:
		      matchExpressions:
		        - key: admission.gatekeeper.sh/ignore
		          operator: DoesNotExist
		        - key: kubernetes.io/metadata.name
		          operator: NotIn
		          values: @EXEMPT@
	YAML
	printf '%s\n' "$rules"
}

# gk_build_into DIR: builds the manager (module root) and gator
# (./cmd/gator), one after the other, from a scratch module requiring the
# release; copies its CRDs (charts/gatekeeper/crds: plain YAML, unlike
# config/crd's kustomize bases), upstream's manager ClusterRole
# (config/rbac/role.yaml) and webhook manifests, and writes our webhook template.
gk_build_into() {
	local dir=$1 src
	src=$(prom_module_dir "$GATEKEEPER_MODULE" "$GATEKEEPER_VERSION")
	# No replace directives in gatekeeper's go.mod: the scratch module is one require.
	prom_build_src "$dir/src" "$GATEKEEPER_MODULE" "$GATEKEEPER_VERSION"
	mkdir -p "$dir/bin" "$dir/crds" "$dir/rbac" "$dir/webhook"
	gk_build_one "$dir" manager "$GATEKEEPER_MODULE"
	gk_build_one "$dir" gator "$GATEKEEPER_MODULE/cmd/gator"
	install -m 0644 "$src"/charts/gatekeeper/crds/*.yaml "$dir/crds/"
	install -m 0644 "$src/config/rbac/role.yaml" "$dir/rbac/manager-role.yaml"
	install -m 0644 "$src/config/webhook/manifests.yaml" "$dir/webhook/upstream-manifests.yaml"
	gk_webhook_template "$src" >"$dir/webhook/validating.yaml.tmpl"
}

# gatekeeper_build: builds the manager and gator unless cached; prints the folder.
gatekeeper_build() {
	local dir tmp
	dir=$(gk_build_dir)
	if [[ ! -f $dir/.golden-path-complete ]]; then
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		step "gatekeeper $GATEKEEPER_VERSION ${dir#"$GP_CACHE"/}: build manager and gator from the Go module proxy" \
			"$GP_LOGS/gatekeeper-build.log" gk_build_into "$tmp"
		touch "$tmp/.golden-path-complete"
		rm -rf "$dir"
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

# gk_cache_prune KEEP...: other versions and inputs of the build, and
# interrupted builds whose process is gone.
gk_cache_prune() {
	builds_prune "$GP_CACHE"/gatekeeper-v*-* -- "$@"
}

# --- cluster side ----------------------------------------------------------

# gk_serving_cert: the webhook's TLS: a CA of its own (the API server trusts it
# through the webhook's caBundle only) and a certificate for 127.0.0.1, in the
# cert dir under controller-runtime's names (tls.crt, tls.key); made once, kept
# (0600).
gk_serving_cert() {
	local d=$GATEKEEPER_CERTS
	mkdir -p "$d"
	chmod 0700 "$d"
	(
		umask 077
		if [[ ! -f $d/ca.crt ]]; then
			openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key" 2>/dev/null
			openssl req -x509 -new -key "$d/ca.key" -subj "/CN=golden-path-gatekeeper-webhook-ca" -days 3650 \
				-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
				-out "$d/ca.crt" 2>/dev/null
			rm -f "$d/tls.crt"
		fi
		[[ -f $d/tls.crt ]] && openssl x509 -in "$d/tls.crt" -noout -checkend 86400 >/dev/null 2>&1 && exit 0
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/tls.key" 2>/dev/null
		printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1" >"$d/tls.ext"
		openssl req -new -key "$d/tls.key" -subj "/CN=127.0.0.1" 2>/dev/null |
			openssl x509 -req -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
				-days 3650 -extfile "$d/tls.ext" -out "$d/tls.crt.tmp" 2>/dev/null
		mv "$d/tls.crt.tmp" "$d/tls.crt"
	)
}

# gk_identity: the manager's client certificate (signed by the cluster's CA:
# accepted without an API server restart) and its kubeconfig.
gk_identity() {
	(
		umask 077
		kube_cert gatekeeper "$GATEKEEPER_USER" "" clientAuth
		cat >"$GATEKEEPER_KUBECONFIG.tmp" <<-YAML
			apiVersion: v1
			kind: Config
			clusters:
			- name: golden-path
			  cluster:
			    server: https://$KUBE_API_ADDR
			    certificate-authority: $KUBE_PKI/ca.crt
			users:
			- name: $GATEKEEPER_USER
			  user:
			    client-certificate: $KUBE_PKI/gatekeeper.crt
			    client-key: $KUBE_PKI/gatekeeper.key
			contexts:
			- name: golden-path
			  context: {cluster: golden-path, user: $GATEKEEPER_USER}
			current-context: golden-path
		YAML
		mv "$GATEKEEPER_KUBECONFIG.tmp" "$GATEKEEPER_KUBECONFIG"
	)
}

# gk_manifests BUILD: the manager's namespace, upstream's ClusterRole
# (config/rbac/role.yaml's first document, renamed) bound to our user, and the
# stand-in for the manager's pod. The
# namespaced Role of that file (Secrets for cert rotation) is not needed:
# rotation is off.
gk_manifests() {
	cat <<-YAML
		apiVersion: v1
		kind: Namespace
		metadata: {name: $GATEKEEPER_NAMESPACE}
		---
	YAML
	awk '/^---$/ {if (n++) exit; next} {print}' "$1/rbac/manager-role.yaml" |
		sed 's/^  name: manager-role$/  name: golden-path-gatekeeper-manager/'
	cat <<-YAML
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRoleBinding
		metadata: {name: golden-path-gatekeeper-manager}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: golden-path-gatekeeper-manager}
		subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $GATEKEEPER_USER}]
		---
		# The manager reads "its pod" (POD_NAMESPACE/POD_NAME) and makes it the owner of
		# every status object it writes. Out of cluster this stand-in plays that pod:
		# never scheduled (no scheduler has that name), so nothing runs or pulls; the
		# garbage collector removes the status objects with it. (Upstream's
		# --debug-use-fake-pod owns them by a pod that does not exist: the garbage
		# collector would delete them as orphans.)
		apiVersion: v1
		kind: Pod
		metadata:
		  name: $GATEKEEPER_POD_NAME
		  namespace: $GATEKEEPER_NAMESPACE
		  labels: {app.kubernetes.io/name: gatekeeper, app.kubernetes.io/managed-by: golden-path-platform}
		  annotations: {golden-path/note: "stand-in for the Gatekeeper manager running on the host; never scheduled"}
		spec:
		  schedulerName: golden-path-gatekeeper-on-host
		  automountServiceAccountToken: false
		  containers:
		    - name: manager
		      image: $KUBE_PAUSE_IMAGE
	YAML
}

# gk_webhook_manifest BUILD: the ValidatingWebhookConfiguration, from the
# build's template: our URL, our CA, the exempt namespaces.
gk_webhook_manifest() {
	local exempt ca
	exempt="[$(printf '%s, ' "${GATEKEEPER_EXEMPT_NAMESPACES[@]}")"
	exempt="${exempt%, }]"
	ca=$(base64 -w0 "$GATEKEEPER_CERTS/ca.crt")
	sed -e "s#@URL@#https://$GATEKEEPER_WEBHOOK_ADDR/v1/admit#" -e "s#@CA_BUNDLE@#$ca#" -e "s#@EXEMPT@#$exempt#" \
		"$1/webhook/validating.yaml.tmpl"
}

# gk_install_crds BUILD: the CRDs (server-side apply: a no-op when unchanged),
# then waits until they are served.
gk_install_crds() {
	kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform -f "$1/crds" >/dev/null ||
		die "gatekeeper: applying the CRDs failed; see above"
	kubectl_admin wait --for=condition=Established --timeout=60s -f "$1/crds" >/dev/null ||
		die "gatekeeper: CRDs not established after 60s"
}

# gk_uninstall_crds BUILD: removes the CRDs, and with them every ConstraintTemplate,
# Constraint and status object (not done by gatekeeper_stop).
gk_uninstall_crds() {
	kubectl_admin delete --ignore-not-found --wait=true --timeout=120s -f "$1/crds"
}

# --- processes -----------------------------------------------------------------

# gk_probe_review: an AdmissionReview for a ConfigMap, as the API server sends one.
gk_probe_review() {
	cat <<-JSON
		{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
		 "uid": "00000000-0000-0000-0000-000000000000",
		 "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
		 "resource": {"group": "", "version": "v1", "resource": "configmaps"},
		 "name": "golden-path-probe", "namespace": "default", "operation": "CREATE",
		 "userInfo": {"username": "golden-path-probe"},
		 "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "golden-path-probe", "namespace": "default"}}}}
	JSON
}

# gk_webhook_answers: the webhook answers an AdmissionReview over TLS with our CA.
gk_webhook_answers() {
	gk_probe_review | curl -fsS --max-time 5 --cacert "$GATEKEEPER_CERTS/ca.crt" -H 'Content-Type: application/json' \
		--data-binary @- "https://$GATEKEEPER_WEBHOOK_ADDR/v1/admit" | grep -q '"allowed":true'
}

# gatekeeper_wait [SECONDS]: until the manager is healthy, ready (templates and
# constraints ingested, TLS served) and its webhook answers; fails naming the log.
gatekeeper_wait() {
	local secs=${1:-120}
	prom_wait "Gatekeeper healthy on http://$GATEKEEPER_HEALTH_ADDR/healthz" "$secs" gatekeeper "$GATEKEEPER_PID" \
		"$GATEKEEPER_LOG" curl -fsS "http://$GATEKEEPER_HEALTH_ADDR/healthz"
	prom_wait "Gatekeeper ready on http://$GATEKEEPER_HEALTH_ADDR/readyz" "$secs" gatekeeper "$GATEKEEPER_PID" \
		"$GATEKEEPER_LOG" curl -fsS "http://$GATEKEEPER_HEALTH_ADDR/readyz"
	prom_wait "Gatekeeper webhook answering on https://$GATEKEEPER_WEBHOOK_ADDR/v1/admit" "$secs" gatekeeper \
		"$GATEKEEPER_PID" "$GATEKEEPER_LOG" gk_webhook_answers
}

# gatekeeper_start BUILD: CRDs, identity, RBAC, serving certificate, then the
# manager unless it runs; once its webhook answers, the
# ValidatingWebhookConfiguration that sends it the API server's requests.
gatekeeper_start() {
	local build=$1 start=$SECONDS
	prom_port_free gatekeeper "$GATEKEEPER_WEBHOOK_ADDR" "$GATEKEEPER_PID"
	prom_port_free gatekeeper "$GATEKEEPER_HEALTH_ADDR" "$GATEKEEPER_PID"
	prom_port_free gatekeeper "0.0.0.0:$GATEKEEPER_PROMETHEUS_PORT" "$GATEKEEPER_PID"
	mkdir -p "$GATEKEEPER_DIR" "$GATEKEEPER_DIR/audit" "$GP_STATE/bin" "$GP_RUN" "$GP_LOGS"
	chmod 0700 "$GATEKEEPER_DIR"
	ln -sfn "$build/bin/gator" "$GP_STATE/bin/gator"
	gk_serving_cert
	gk_identity
	gk_install_crds "$build"
	gk_manifests "$build" | kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform -f - >/dev/null ||
		die "gatekeeper: applying the namespace and RBAC failed; see above"

	# Out of cluster: controller-runtime reads KUBECONFIG; POD_NAMESPACE/POD_NAME
	# are its status objects' namespace and owner (gk_manifests' stand-in pod,
	# which the manager reads: without it no template gets past "pods ... not
	# found"). Cert rotation off: the certificate is ours, the
	# webhook configuration too (its name given, so the manager reads ours).
	# Shutdown delay 1s: no Service endpoints to drain on the host. Operation
	# `generate` is what creates each template's constraint CRD (and, for CEL
	# templates, ValidatingAdmissionPolicies): without it no Constraint kind exists.
	# Generator resource expansion (upstream's default, set so that a new default cannot turn it off): the
	# webhook reviews a workload also as the Pod its ExpansionTemplate implies, so that the API server refuses
	# a Deployment whose Pods a Constraint would refuse, not only those Pods once its ReplicaSet makes them.
	prom_proc gatekeeper "$GATEKEEPER_PID" "$GATEKEEPER_LOG" \
		KUBECONFIG="$GATEKEEPER_KUBECONFIG" POD_NAME="$GATEKEEPER_POD_NAME" POD_NAMESPACE="$GATEKEEPER_NAMESPACE" \
		"$build/bin/manager" \
		--operation=webhook --operation=audit --operation=status --operation=generate \
		--disable-cert-rotation --cert-dir="$GATEKEEPER_CERTS" \
		--host="${GATEKEEPER_WEBHOOK_ADDR%:*}" --port="${GATEKEEPER_WEBHOOK_ADDR##*:}" \
		--health-addr="$GATEKEEPER_HEALTH_ADDR" --metrics-addr=0 --prometheus-port="$GATEKEEPER_PROMETHEUS_PORT" \
		--validating-webhook-configuration-name="$GATEKEEPER_WEBHOOK_NAME" \
		--api-cache-dir="$GATEKEEPER_DIR/audit" --disable-opa-builtin='{http.send}' \
		--enable-generator-resource-expansion=true --log-denies --shutdown-delay=1

	local t0=$EPOCHREALTIME
	gatekeeper_wait 180
	log "gatekeeper: webhook answering after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')s"
	gk_webhook_manifest "$build" | kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform -f - >/dev/null ||
		die "gatekeeper: applying the ValidatingWebhookConfiguration failed; see above"
	touch "$GATEKEEPER_DIR/webhook.applied"
	log "gatekeeper: $GATEKEEPER_VERSION webhook on https://$GATEKEEPER_WEBHOOK_ADDR/v1/admit as $GATEKEEPER_USER ($((SECONDS - start))s)"
}

# gatekeeper_policy DIR: the ConstraintTemplates of DIR/templates, the
# ExpansionTemplates of DIR/expansion (when there is one), then, once
# Gatekeeper serves each template's Constraint kind, the Constraints of
# DIR/constraints (server-side apply: a no-op when unchanged). A Constraint
# whose file is gone stays in the cluster: delete it by hand.
gatekeeper_policy() {
	local dir=$1 start=$SECONDS
	kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform -f "$dir/templates" >/dev/null ||
		die "gatekeeper: applying the ConstraintTemplates of $dir/templates failed; see above"
	# Before the Constraints, so that none meets a workload it cannot see as its Pods.
	if [[ -d $dir/expansion ]]; then
		kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform -f "$dir/expansion" >/dev/null ||
			die "gatekeeper: applying the ExpansionTemplates of $dir/expansion failed; see above"
	fi
	# The manager's generate operation makes each template's CRD, a moment after the template.
	prom_wait "the Constraint kinds of $dir/templates" 120 gatekeeper "$GATEKEEPER_PID" "$GATEKEEPER_LOG" \
		kubectl_admin apply --server-side --force-conflicts --field-manager=golden-path-platform -f "$dir/constraints"
	log "gatekeeper: policy of ${dir#"$HACK_DIR/../"} applied ($((SECONDS - start))s)"
}

# gatekeeper_stop: first the ValidatingWebhookConfiguration (no request goes
# to a port nobody, or somebody else, listens on; skipped when the API server
# is down), then the manager. CRDs, templates and constraints stay.
gatekeeper_stop() {
	# `down` has not set KUBE_BIN: kube_start's link to the cluster's kubectl.
	if pid_alive "$GATEKEEPER_PID" gatekeeper || [[ -f $GATEKEEPER_DIR/webhook.applied ]]; then
		if "${KUBE_BIN:-$GP_STATE/bin}/kubectl" --kubeconfig "$KUBE_ADMIN_KUBECONFIG" --request-timeout=10s \
			delete validatingwebhookconfiguration "$GATEKEEPER_WEBHOOK_NAME" --ignore-not-found >/dev/null 2>&1; then
			rm -f "$GATEKEEPER_DIR/webhook.applied"
		else
			warn "gatekeeper: could not delete ValidatingWebhookConfiguration $GATEKEEPER_WEBHOOK_NAME (API server down?)"
		fi
	fi
	prom_proc_stop gatekeeper "$GATEKEEPER_PID"
}

gatekeeper_status() {
	if pid_alive "$GATEKEEPER_PID" gatekeeper; then
		local ready=ready
		curl -fsS --max-time 2 "http://$GATEKEEPER_HEALTH_ADDR/readyz" >/dev/null 2>&1 || ready="not ready"
		echo "gatekeeper: running (pid $(cat "$GATEKEEPER_PID")), $GATEKEEPER_VERSION as $GATEKEEPER_USER, webhook https://$GATEKEEPER_WEBHOOK_ADDR/v1/admit ($ready)"
		return 0
	fi
	echo "gatekeeper: stopped"
	return 1
}
