// Package render turns a service's k8s/ folder into the Kubernetes objects of
// one release in one environment: kustomize, run in-process over a
// filesys.FileSystem, then the values the platform owns set from
// golden-path.yaml.
//
// The k8s/ folder holds a kustomize base and one overlay per environment
// (k8s/overlays/<env>); a service without one gets the platform's built-in
// base (a ServiceAccount, the Deployment, its Service, a NetworkPolicy, and a
// PodDisruptionBudget when golden-path.yaml asks for two copies or more) in
// the environments dev, staging and prod. Render builds the overlay, then
// wraps it in a kustomization it generates in memory (it never writes to the
// caller's file system), which sets:
//
//   - the names: an object named "app" (NamePlaceholder) is named after the
//     service, "app-<suffix>" <name>-<suffix>, and every reference to them
//     follows, so k8s/ never spells the service's name;
//   - the namespace: <team>-<environment>, e.g. payments-dev;
//   - the labels of policy.RequiredLabels on every object and pod template;
//     only app.kubernetes.io/name and app.kubernetes.io/instance
//     (<name>-<environment>) go into selectors, so selectors stay the same
//     from one release to the next;
//   - the image: the container image named "app" becomes the release's image,
//     pinned by digest (<registry>/<repository>@sha256:…);
//   - from golden-path.yaml, on the container named "app" of the Deployment
//     named after the service: the container port (named "http"), the PORT
//     and SERVICE_NAME variables, the number of copies when golden-path.yaml
//     gives one, the liveness and readiness probe paths and the CPU and memory
//     requests and limits; on the ServiceMonitor, the metrics path and the
//     selector.
//
// golden-path.yaml is the single source of truth for those values: whatever
// k8s/ says for them is replaced, and Result.Overrides lists each value of
// k8s/ that was, so the pipeline can tell the team. What the render cannot set (a name
// that is neither the placeholder's nor the service's, the container it
// patches) it checks instead, and a contradiction fails the
// render with a *ManifestError that names the file and the fix.
package render
