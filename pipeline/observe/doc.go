// Package observe generates the observability objects of a service from its
// golden-path.yaml, and checks them without a cluster:
//
//   - a ServiceMonitor (monitoring.coreos.com/v1) that tells Prometheus to
//     scrape the service's port named "http" at metrics.path;
//   - a PrometheusRule with the RED alerts (error ratio, p95 and p99 latency,
//     target down, target absent) at the thresholds of the slo section;
//   - a Grafana dashboard (request rate, error ratio, latency percentiles, pod
//     CPU, memory and restarts), built with the Grafana Foundation SDK, with a
//     stable uid derived from the service's name; and the same dashboard in a
//     ConfigMap labelled for Grafana's dashboard sidecar.
//
// Every generator is a pure function of a *config.Config and Options and
// returns YAML or JSON bytes. The checks (CheckRules, CheckDashboard,
// CheckSelects) parse what a generator produced: every PromQL expression
// through Prometheus' own parser, the dashboard through the SDK's types, and
// the ServiceMonitor's selector against rendered Service manifests.
//
// The metrics queried are those of the FastAPI template
// (examples/fastapi-service/src/observability.py): http_requests_total
// {method,route,status}, the http_request_duration_seconds histogram
// {method,route} and http_requests_in_flight; pod metrics come from cAdvisor
// (container_*) and kube-state-metrics (kube_pod_*).
package observe
