package platformtest

// Tests of the local platform's Kubernetes (hack/lib/kube.sh): a real node that
// pulls from the mirror and from the authenticated "ACR", services reached from
// the host and through the API server, and the pipeline's deployer identity.
// They drive the cluster with the platform's own kubectl, so that the product's
// go.mod does not grow with client-go.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// cluster is the platform's cluster as the admin kubeconfig reaches it.
type cluster struct {
	kubeconfig string // admin.kubeconfig
	kubectl    string // the platform's kubectl, built with the cluster
}

// requireCluster returns the running cluster; without one it skips the test,
// except under CI=true, where it fails.
func requireCluster(t *testing.T) cluster {
	t.Helper()
	c := cluster{kubeconfig: os.Getenv("KUBECONFIG")}
	// The platform's kubectl sits in $GP_STATE/bin, beside $GP_STATE/kube/admin.kubeconfig.
	c.kubectl = filepath.Join(filepath.Dir(filepath.Dir(c.kubeconfig)), "bin", "kubectl")
	var why string
	switch {
	case c.kubeconfig == "":
		why = "KUBECONFIG is not set"
	default:
		if _, err := os.Stat(c.kubectl); err != nil {
			why = fmt.Sprintf("no platform kubectl at %s", c.kubectl)
		} else if out, err := exec.Command(c.kubectl, "--kubeconfig", c.kubeconfig, "--request-timeout=5s",
			"get", "--raw", "/readyz").CombinedOutput(); err != nil {
			why = fmt.Sprintf("the API server in %s does not answer: %s", c.kubeconfig, bytes.TrimSpace(out))
		}
	}
	if why != "" {
		msg := "no Kubernetes cluster (" + why + "): run `hack/platform up` and `eval \"$(hack/platform env)\"`"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return c
}

// run runs kubectl with the admin kubeconfig and returns its stdout.
func (c cluster) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.kubectl, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

func (c cluster) must(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := c.run(t, stdin, args...)
	assert.NilError(t, err)
	return out
}

// namespace creates a namespace for this test, deleted (and waited for) at its end.
func (c cluster) namespace(t *testing.T) string {
	t.Helper()
	ns := "gp-test-" + token(t)
	c.must(t, "", "create", "namespace", ns)
	t.Cleanup(func() {
		if _, err := c.run(t, "", "delete", "namespace", ns, "--wait=true", "--timeout=120s"); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	// The controller manager adds the default ServiceAccount a moment later;
	// until then the API server refuses pods in the namespace.
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if _, err := c.run(t, "", "-n", ns, "get", "serviceaccount", "default"); err != nil {
			return poll.Continue("%v", err)
		}
		return poll.Success()
	}, poll.WithTimeout(30*time.Second), poll.WithDelay(200*time.Millisecond))
	return ns
}

// describe is what a failing rollout or pod leaves to read: events and pod states.
func (c cluster) describe(t *testing.T, ns string) string {
	out, _ := c.run(t, "", "-n", ns, "get", "pods,events", "-o", "wide")
	return out
}

func TestKubeNodeReady(t *testing.T) {
	c := requireCluster(t)
	status := c.must(t, "", "get", "node", "localhost", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
	assert.Equal(t, status, "True")

	// Client and server are the same build, stamped with a real version.
	var v struct {
		Client struct{ GitVersion string } `json:"clientVersion"`
		Server struct{ GitVersion string } `json:"serverVersion"`
	}
	assert.NilError(t, json.Unmarshal([]byte(c.must(t, "", "version", "-o", "json")), &v))
	assert.Check(t, is.Regexp(`^v1\.\d+\.\d+$`, v.Server.GitVersion))
	assert.Check(t, is.Equal(v.Client.GitVersion, v.Server.GitVersion))

	// Every namespace gets its default ServiceAccount (the controller manager works).
	c.namespace(t)
}

const webManifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: %s
        command: [sh, -c, 'mkdir -p /srv && printf %%s "$TOKEN" > /srv/token && exec python3 -m http.server 8080 --directory /srv']
        env: [{name: TOKEN, value: "%s"}]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /token, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`

// A Deployment of the mirror's python image rolls out and answers through its
// ClusterIP from the host and through the API server's service proxy.
func TestKubeDeploymentServesThroughService(t *testing.T) {
	c := requireCluster(t)
	ns := c.namespace(t)
	want := token(t)
	image := daggertest.RegistryAddr() + "/library/python:3.12-slim"
	c.must(t, fmt.Sprintf(webManifest, image, want), "-n", ns, "apply", "--server-side", "-f", "-")
	if _, err := c.run(t, "", "-n", ns, "rollout", "status", "deployment/web", "--timeout=180s"); err != nil {
		t.Fatalf("%v\n%s", err, c.describe(t, ns))
	}

	ip := c.must(t, "", "-n", ns, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")
	url := "http://" + ip + "/token"
	// kube-proxy syncs its iptables rules a moment after the endpoints appear.
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		got, err := httpGet(url)
		if err != nil {
			return poll.Continue("GET %s: %v", url, err)
		}
		if got != want {
			return poll.Error(fmt.Errorf("GET %s = %q, want %q", url, got, want))
		}
		return poll.Success()
	}, poll.WithTimeout(30*time.Second), poll.WithDelay(200*time.Millisecond))

	got := c.must(t, "", "get", "--raw", "/api/v1/namespaces/"+ns+"/services/web:80/proxy/token")
	assert.Equal(t, got, want)
}

func httpGet(url string) (string, error) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, b)
	}
	return string(b), err
}

// runPod runs IMAGE with CMD to completion in ns and returns its log.
func (c cluster) runPod(t *testing.T, ns, pod, image string, cmd ...string) string {
	t.Helper()
	args, err := json.Marshal(cmd)
	assert.NilError(t, err)
	manifest := fmt.Sprintf(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": %q},
		"spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "containers": [{"name": "main", "image": %q, "command": %s}]}}`, pod, image, args)
	c.must(t, manifest, "-n", ns, "apply", "-f", "-")
	if _, err := c.run(t, "", "-n", ns, "wait", "pod/"+pod, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=180s"); err != nil {
		t.Fatalf("%v\n%s", err, c.describe(t, ns))
	}
	return c.must(t, "", "-n", ns, "logs", pod)
}

// Short docker.io names resolve through the mirror, as on a cluster with a pull-through cache.
func TestKubePullsDockerHubNamesFromMirror(t *testing.T) {
	c := requireCluster(t)
	ns := c.namespace(t)
	want := token(t)
	got := c.runPod(t, ns, "hub", "debian:bookworm-slim", "echo", want)
	assert.Equal(t, strings.TrimSpace(got), want)
}

// An image pushed to the authenticated registry is pulled by a pod that has no
// imagePullSecret: the node has the registry's credentials, as AKS's kubelet
// identity has AcrPull.
func TestKubePullsFromACRWithNodeCredentials(t *testing.T) {
	c := requireCluster(t)
	acr := daggertest.ACR(t)
	ctx := context.Background()
	resp, err := http.Get("http://" + acr.Addr + "/v2/")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the ACR registry %s is not up: %v", acr.Addr, err)
		}
		t.Skipf("the ACR registry %s is not up: %v", acr.Addr, err)
	}
	resp.Body.Close()
	want := token(t)

	// The mirror's debian with one more layer holding the token, pushed with the push identity.
	base, err := name.ParseReference(daggertest.RegistryAddr()+"/library/debian:bookworm-slim", name.Insecure)
	assert.NilError(t, err)
	img, err := remote.Image(base, remote.WithContext(ctx))
	assert.NilError(t, err)
	layer, err := tokenLayer(want)
	assert.NilError(t, err)
	img, err = mutate.AppendLayers(img, layer)
	assert.NilError(t, err)
	ref, err := name.ParseReference(acr.Addr+"/golden-path-test/acr-pull:"+want, name.Insecure)
	assert.NilError(t, err)
	auth := remote.WithAuth(&authn.Basic{Username: acr.Username, Password: acr.Password})
	assert.NilError(t, remote.Write(ref, img, auth, remote.WithContext(ctx)))

	// The registry really requires credentials: an anonymous client is refused.
	_, err = remote.Head(ref, remote.WithContext(ctx))
	var terr *transport.Error
	assert.Assert(t, err != nil, "anonymous HEAD of %s succeeded: the registry does not require auth", ref)
	if assert.Check(t, errors.As(err, &terr), "%v", err) {
		assert.Check(t, is.Equal(terr.StatusCode, http.StatusUnauthorized))
	}

	ns := c.namespace(t)
	got := c.runPod(t, ns, "acr", ref.String(), "cat", "/golden-path-token")
	assert.Equal(t, got, want)
	spec := c.must(t, "", "-n", ns, "get", "pod", "acr", "-o", "jsonpath={.spec.imagePullSecrets}")
	assert.Check(t, is.Equal(spec, ""), "the pod must pull without an imagePullSecret")
}

// tokenLayer is a layer holding /golden-path-token.
func tokenLayer(tok string) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "golden-path-token", Mode: 0o644, Size: int64(len(tok)), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write([]byte(tok)); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}

// The pipeline's identity can do what the deploy stage needs and no more, and
// its kubeconfig (server https://kube-api:6443) is valid for that name.
func TestKubePipelineKubeconfig(t *testing.T) {
	c := requireCluster(t)
	pipeline := os.Getenv("GP_KUBECONFIG_PIPELINE")
	if pipeline == "" {
		pipeline = filepath.Join(filepath.Dir(c.kubeconfig), "pipeline.kubeconfig")
	}
	server := c.must(t, "", "--kubeconfig", pipeline, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	assert.Equal(t, server, "https://kube-api:6443")

	// From the host, reach the same API server on 127.0.0.1 while checking the certificate for kube-api.
	who := c.must(t, "", "--kubeconfig", pipeline, "--server", "https://127.0.0.1:6443", "--tls-server-name", "kube-api",
		"auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	assert.Equal(t, who, "golden-path-deployer")

	ns := c.namespace(t)
	for _, tc := range []struct {
		verb, resource, subresource string
		want                        string
	}{
		{"create", "namespaces", "", "yes"},
		{"patch", "deployments.apps", "", "yes"},
		{"patch", "services", "", "yes"},
		{"patch", "ingresses.networking.k8s.io", "", "yes"},
		{"patch", "networkpolicies.networking.k8s.io", "", "yes"},
		{"patch", "serviceaccounts", "", "yes"},
		{"patch", "configmaps", "", "yes"},
		{"patch", "poddisruptionbudgets.policy", "", "yes"},
		{"create", "leases.coordination.k8s.io", "", "yes"},
		{"update", "leases.coordination.k8s.io", "", "yes"},
		{"list", "leases.coordination.k8s.io", "", "yes"},
		{"delete", "leases.coordination.k8s.io", "", "no"}, // a lock is freed, never deleted
		{"list", "configmaps", "", "yes"},                  // the release records
		{"patch", "secretproviderclasses.secrets-store.csi.x-k8s.io", "", "yes"},
		{"list", "pods", "", "yes"},
		{"get", "pods", "log", "yes"},
		{"list", "events", "", "yes"},
		{"get", "services", "proxy", "yes"},
		{"create", "pods", "portforward", "yes"},
		{"get", "secrets", "", "no"},
		{"create", "pods", "exec", "no"},
		{"create", "clusterrolebindings.rbac.authorization.k8s.io", "", "no"},
	} {
		out, _ := c.run(t, "", "--kubeconfig", pipeline, "--server", "https://127.0.0.1:6443", "--tls-server-name", "kube-api",
			"-n", ns, "auth", "can-i", tc.verb, tc.resource, "--subresource", tc.subresource)
		assert.Check(t, is.Equal(strings.TrimSpace(out), tc.want), "golden-path-deployer: %s %s %s", tc.verb, tc.resource, tc.subresource)
	}
}

// A Dagger container reaches the API server the way the deploy stage does: the
// pipeline kubeconfig mounted as a secret, server https://kube-api:6443 through
// a service binding to a tunnel of the host's 127.0.0.1:6443.
func TestKubePipelineKubeconfigFromDagger(t *testing.T) {
	c := requireCluster(t)
	pipeline := os.Getenv("GP_KUBECONFIG_PIPELINE")
	if pipeline == "" {
		pipeline = filepath.Join(filepath.Dir(c.kubeconfig), "pipeline.kubeconfig")
	}
	kubectl, err := filepath.EvalSymlinks(c.kubectl) // $GP_STATE/bin/kubectl links into the build cache
	assert.NilError(t, err)
	dag := daggertest.Connect(t)
	ctx := context.Background()
	api := dag.Host().Service([]dagger.PortForward{{Backend: 6443, Frontend: 6443}})
	out, err := dag.Container().From("debian:bookworm-slim").
		WithFile("/usr/local/bin/kubectl", dag.Host().File(kubectl)).
		WithMountedSecret("/run/kube/config", dag.Secret("file://"+pipeline)).
		WithServiceBinding("kube-api", api).
		WithEnvVariable("CACHE_BUST", token(t)).
		WithExec([]string{"kubectl", "--kubeconfig", "/run/kube/config", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"}).
		Stdout(ctx)
	assert.NilError(t, err)
	assert.Equal(t, out, "golden-path-deployer")
}

const serviceMonitorManifest = `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, labels: {release: golden-path}}
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: %s, path: /metrics, interval: %s}]
`

const secretProviderClassManifest = `
apiVersion: secrets-store.csi.x-k8s.io/v1
kind: SecretProviderClass
metadata: {name: web-secrets}
spec:
  provider: azure
  parameters:
    keyvaultName: golden-path-kv
    tenantId: 00000000-0000-0000-0000-000000000000
    objects: |
      array:
        - |
          objectName: db-password
          objectType: secret
`

// The CRDs the deploy stage's manifests need are there, as AKS add-ons provide
// them (hack/lib/kube.sh kube_crds): prometheus-operator's ServiceMonitor and the
// Secrets Store CSI driver's SecretProviderClass, with their schemas enforced.
func TestKubeAddonCRDs(t *testing.T) {
	c := requireCluster(t)
	for _, crd := range []string{
		"servicemonitors.monitoring.coreos.com",
		"prometheusrules.monitoring.coreos.com",
		"secretproviderclasses.secrets-store.csi.x-k8s.io",
	} {
		out, err := c.run(t, "", "get", "crd", crd, "-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`)
		if assert.Check(t, err, "CRD %s: run `hack/platform up`, which installs it", crd) {
			assert.Check(t, is.Equal(out, "True"), "CRD %s is not Established", crd)
		}
	}

	ns := c.namespace(t)
	for _, tc := range []struct{ manifest, want string }{
		{fmt.Sprintf(serviceMonitorManifest, "http", "30s"), "ServiceMonitor/web"},
		{secretProviderClassManifest, "SecretProviderClass/web-secrets"},
	} {
		out, err := c.run(t, tc.manifest, "-n", ns, "apply", "--server-side", "--dry-run=server",
			"-o", "jsonpath={.kind}/{.metadata.name}", "-f", "-")
		assert.Check(t, err)
		assert.Check(t, is.Equal(out, tc.want))
	}

	// The schema is enforced: the API server refuses what it does not allow,
	// naming the field, and stores nothing.
	for _, tc := range []struct{ manifest, field string }{
		{fmt.Sprintf(serviceMonitorManifest, "http", "every-minute"), "spec.endpoints[0].interval"}, // not a duration
		{fmt.Sprintf(serviceMonitorManifest, "8080", "30s"), "spec.endpoints[0].port"},              // a name, not a number
		{"apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\nspec: {endpoints: [{port: http}]}\n",
			"spec.selector"}, // required
	} {
		_, err := c.run(t, tc.manifest, "-n", ns, "apply", "--server-side", "-f", "-")
		assert.Check(t, is.ErrorContains(err, tc.field))
	}
	out, err := c.run(t, "", "-n", ns, "get", "servicemonitors", "-o", "name")
	assert.Check(t, err)
	assert.Check(t, is.Equal(out, ""), "an invalid ServiceMonitor was stored")
}
