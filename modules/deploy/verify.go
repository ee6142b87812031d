package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// verify waits for the rollout and smoke-tests the service; it returns why
// the release is not healthy, or nil.
func (d *deployment) verify(ctx context.Context, res *Rollout, smokePath string) error {
	ns, name := d.r.Namespace, d.r.Service
	out, stderr, code, err := d.k.try(ctx, "", "rollout", "status", "deployment/"+name, "-n", ns,
		fmt.Sprintf("--timeout=%ds", int(d.timeout.Seconds())))
	if err != nil {
		return err
	}
	if code != 0 {
		if ce := rollout.Classify("wait for the rollout", d.k.server, stderr); ce.Kind != rollout.Failed {
			return ce
		}
		return fmt.Errorf("the rollout did not finish within %s: %s", d.timeout, strings.TrimSpace(stderr+out))
	}
	paths := append([]string{}, d.r.HealthPaths...)
	if smokePath != "" {
		paths = append(paths, smokePath)
	}
	for _, p := range paths {
		url, err := d.smoke(ctx, p)
		res.SmokeUrl = url
		if err != nil {
			return err
		}
	}
	res.Result = fmt.Sprintf("rolled out; smoke test passed (%s)", strings.Join(paths, ", "))
	return nil
}

// smoke calls path on the service through the API server's service proxy,
// retrying with backoff (1, 2, 4, 8 s) while it does not answer 2xx.
func (d *deployment) smoke(ctx context.Context, path string) (string, error) {
	raw := fmt.Sprintf("/api/v1/namespaces/%s/services/http:%s:http/proxy/%s", d.r.Namespace, d.r.Service, strings.TrimPrefix(path, "/"))
	url := d.k.server + raw
	wait := time.Second
	var last string
	for attempt := 1; attempt <= 5; attempt++ {
		_, stderr, code, err := d.k.try(ctx, "", "get", "--raw", raw, "--request-timeout=10s")
		if err != nil {
			return url, err
		}
		if code == 0 {
			return url, nil
		}
		last = strings.TrimSpace(stderr)
		if attempt < 5 {
			time.Sleep(wait)
			wait *= 2
		}
	}
	return url, fmt.Errorf("the smoke test GET %s failed 5 times: %s", path, last)
}

// diagnosis lists the release's pods that are not ready, their warning
// events and last log lines.
func (d *deployment) diagnosis(ctx context.Context) string {
	ns := d.r.Namespace
	sel := "app.kubernetes.io/name=" + d.r.Service
	pods, _, code, err := d.k.try(ctx, "", "get", "pods", "-n", ns, "-l", sel, "-o", "json")
	if err != nil || code != 0 {
		return ""
	}
	events, _, _, _ := d.k.try(ctx, "", "get", "events", "-n", ns, "-o", "json")
	problems, err := rollout.Diagnose([]byte(pods), []byte(events), 5)
	if err != nil || len(problems) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Failing pods:\n")
	for i, p := range problems {
		if i == 3 {
			fmt.Fprintf(&b, "… and %d more\n", len(problems)-3)
			break
		}
		b.WriteString("  " + p.String() + "\n")
		if logs := d.podLogs(ctx, p.Pod, ns); logs != "" {
			b.WriteString("    last log lines:\n      " + strings.ReplaceAll(logs, "\n", "\n      ") + "\n")
		}
	}
	return b.String()
}

// podLogs returns the last log lines of a pod's container: the previous one
// (the one that crashed) first, else the current one. While a crashed
// container is being replaced the kubelet answers "unable to retrieve
// container logs for …": that is no log, and both are asked again, three
// times at most, two seconds apart.
func (d *deployment) podLogs(ctx context.Context, pod, ns string) string {
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(2 * time.Second)
		}
		for _, which := range [][]string{{"--previous"}, nil} {
			out, _, code, _ := d.k.try(ctx, "", append([]string{"logs", pod, "-n", ns, "--tail=10"}, which...)...)
			out = strings.TrimSpace(out)
			if code == 0 && out != "" && !strings.HasPrefix(out, "unable to retrieve container logs") {
				return out
			}
		}
	}
	return ""
}
