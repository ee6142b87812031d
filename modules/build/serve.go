package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"dagger/build/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/golden-path/golden-path/pipeline/serve"
	"github.com/golden-path/golden-path/pipeline/serve/probe"
)

// ServeReport is what the serve gate found when it started the runtime image.
type ServeReport struct {
	// Each path asked and what it answered last, e.g. "liveness /health: 200".
	Answers []string
	// Metric families the metrics path lacks, of those the platform's alerts and dashboard read.
	Missing []string
	// How long the service took to pass, or the time spent when it did not, in seconds.
	Seconds float64
	// Whether the gate passes: every path answered 2xx, and the metrics are in Prometheus' text format with
	// the platform's series.
	Ok bool
	// Why the gate fails: each failing path, what it answered and the fix, then the service's last log lines;
	// empty when Ok.
	Problem string
	// The decision and the whole report as JSON (a pipeline.Verdict of a serve.Report): what the golden
	// path's root module reads.
	Verdict dagger.JSON
}

// serveLogDir is where the service's output goes (output), and how it ended
// when it did (exit), in a cache volume that a second container reads when
// the service fails.
const serveLogDir = "/.golden-path-serve"

// logsFollow separates the exit status from the log lines in what the
// second container prints.
const logsFollow = "--- golden-path: output ---"

// ServeReport starts the runtime image as a service, as the cluster will
// run it (its entrypoint and command, PORT set to the port, no Docker
// HEALTHCHECK), and asks its
// liveness, readiness and metrics paths until each answers 2xx or the
// timeout is over; the metrics must be in Prometheus' text format with the
// platform's series. What it found does not make it fail (its Check and
// Serve do).
func (b *Build) ServeReport(
	ctx context.Context,
	// The runtime image to start; Build's result when empty.
	// +optional
	ctr *dagger.Container,
	// Port the service listens on (golden-path.yaml's port).
	// +optional
	// +default=8000
	port int,
	// Path the liveness probe asks (golden-path.yaml's health.liveness).
	// +optional
	// +default="/health"
	liveness string,
	// Path the readiness probe asks (golden-path.yaml's health.readiness).
	// +optional
	// +default="/ready"
	readiness string,
	// Path Prometheus scrapes (golden-path.yaml's metrics.path).
	// +optional
	// +default="/metrics"
	metrics string,
	// Metric families the metrics path must expose; the request counter and latency histogram the platform's
	// alerts and dashboard read when empty.
	// +optional
	series []string,
	// How long the service has to answer, in seconds.
	// +optional
	// +default=30
	timeout int,
) (*ServeReport, error) {
	if port <= 0 || port > 65535 {
		return nil, fmt.Errorf("serve: port %d is not a TCP port: set port in golden-path.yaml (1-65535)", port)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("serve: --timeout %d: give the seconds the service has to answer, more than 0", timeout)
	}
	if ctr == nil {
		var err error
		if ctr, err = b.Build(ctx, "", nil, ""); err != nil {
			return nil, err
		}
	}
	if len(series) == 0 {
		series = serve.DefaultSeries
	}
	expect := serve.Expect{Port: port, Liveness: liveness, Readiness: readiness, Metrics: metrics, Series: series}

	// The service's output goes to a file of a volume of this run only, when the image has a shell to send it
	// there; the same volume, mounted in a second container, gives its last lines.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	logs := dag.CacheVolume("golden-path-serve-" + run)
	// The cluster ignores a Dockerfile's HEALTHCHECK (its probes are golden-path.yaml's), and so does the gate:
	// the engine would wait on it before the service counts as started.
	svcCtr := ctr.WithoutDockerHealthcheck().WithEnvVariable("PORT", strconv.Itoa(port))
	// Nor does it wait on the ports the image exposes (its EXPOSE lines): the engine would wait for each to
	// answer before the service counts as started, and a service on golden-path.yaml's port never answers on
	// another. The port asked is the one the cluster's probes ask.
	exposed, err := ctr.ExposedPorts(ctx)
	if err != nil {
		return nil, fmt.Errorf("serve: cannot read the image's exposed ports: %s", err.Error())
	}
	for _, p := range exposed {
		n, err := p.Port(ctx)
		if err != nil {
			return nil, fmt.Errorf("serve: cannot read the image's exposed ports: %s", err.Error())
		}
		proto, err := p.Protocol(ctx)
		if err != nil {
			return nil, fmt.Errorf("serve: cannot read the image's exposed ports: %s", err.Error())
		}
		svcCtr = svcCtr.WithoutExposedPort(n, dagger.ContainerWithoutExposedPortOpts{Protocol: proto})
	}
	svcCtr = svcCtr.WithExposedPort(port, dagger.ContainerWithExposedPortOpts{ExperimentalSkipHealthcheck: true})
	args, logged, err := serviceArgs(ctx, ctr)
	if err != nil {
		return nil, err
	}
	// The volume belongs to the image's user, who writes the output (the template's runs as 10001).
	user, err := ctr.User(ctx)
	if err != nil {
		return nil, fmt.Errorf("serve: cannot read the image's user: %s", err.Error())
	}
	mount := dagger.ContainerWithMountedCacheOpts{Owner: user}
	if logged {
		svcCtr = svcCtr.WithMountedCache(serveLogDir, logs, mount)
	}
	var rep *serve.Report
	// Starting is bounded too: an engine that cannot start the container fails the gate, it does not hang it.
	startCtx, cancelStart := context.WithTimeout(ctx, time.Duration(timeout)*time.Second+startGrace)
	defer cancelStart()
	svc, err := svcCtr.AsService(dagger.ContainerAsServiceOpts{Args: args}).Start(startCtx)
	if err != nil && ctx.Err() == nil && startCtx.Err() != nil {
		return nil, fmt.Errorf("serve: the engine did not start the runtime image within %ds; run the gate again, and "+
			"if it recurs, try the image with `dagger call -m modules/build service up`", timeout+int(startGrace.Seconds()))
	}
	if err != nil {
		// It exited before it could be asked anything (a crash on start).
		rep = &serve.Report{Expect: expect, Exited: exitReason(err)}
	} else {
		defer func() {
			// Best effort, and bounded: the session's end stops it too.
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startGrace)
			defer cancel()
			_, _ = svc.Stop(stopCtx)
		}()
		endpoint, err := svc.Endpoint(startCtx, dagger.ServiceEndpointOpts{Port: port, Scheme: "http"})
		if err != nil {
			return nil, fmt.Errorf("serve: the service has no address: %s", err.Error())
		}
		if rep, err = probe.Run(ctx, &http.Client{}, endpoint, expect, probe.WithTimeout(time.Duration(timeout)*time.Second)); err != nil {
			return nil, err
		}
	}
	if !rep.Ok() {
		if !logged {
			rep.Logs = "(the image has no /bin/sh, so its output could not be kept: run it with `dagger call service up`)"
		} else {
			out, err := ctr.WithMountedCache(serveLogDir, logs, mount).WithEnvVariable("GOLDEN_PATH_SERVE_RUN", run).
				WithExec([]string{"sh", "-c", "cat " + serveLogDir + "/exit 2>/dev/null; echo '" + logsFollow + "'; tail -n 20 " + serveLogDir + "/output 2>/dev/null || true"}).
				Stdout(ctx)
			if err != nil {
				rep.Logs = "(its output could not be read: " + exitReason(err) + ")"
			} else {
				exited, tail, _ := strings.Cut(out, logsFollow+"\n")
				if exited = strings.TrimSpace(exited); exited != "" && rep.Exited == "" {
					rep.Exited = exited // it ran, then stopped: a crash on start
				}
				rep.Logs = strings.TrimRight(tail, "\n")
			}
			if rep.Logs == "" {
				rep.Logs = "(the service wrote nothing)"
			}
		}
	}
	return newServeReport(rep)
}

// startGrace is how much longer than the gate's timeout the engine may take
// to start the service.
const startGrace = 30 * time.Second

// Serve starts the runtime image and fails when a path of the source's
// golden-path.yaml (port, health and metrics paths) does not answer as the
// cluster will ask it: ServeReport, then its Check.
// +check
func (b *Build) Serve(ctx context.Context) (*ServeReport, error) {
	cfg, err := config.Read(func(name string) (string, error) { return b.Source.File(name).Contents(ctx) })
	if err != nil {
		return nil, stageError("serve", err)
	}
	e := serve.ExpectOf(cfg)
	r, err := b.ServeReport(ctx, nil, e.Port, e.Liveness, e.Readiness, e.Metrics, e.Series, int(probe.DefaultTimeout.Seconds()))
	if err != nil {
		return nil, err
	}
	return r.Check()
}

// serviceArgs is the command that runs the image as the cluster runs it: its
// entrypoint and command. When the image has /bin/sh they run under it with
// their output sent to the log volume (logged true); else as they are.
func serviceArgs(ctx context.Context, ctr *dagger.Container) ([]string, bool, error) {
	entrypoint, err := ctr.Entrypoint(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("serve: cannot read the image's entrypoint: %s", err.Error())
	}
	cmd, err := ctr.DefaultArgs(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("serve: cannot read the image's command: %s", err.Error())
	}
	run := append(append([]string{}, entrypoint...), cmd...)
	if len(run) == 0 {
		return nil, false, fmt.Errorf("serve: the runtime image has no ENTRYPOINT or CMD: add one that starts the service (the template's Dockerfile: CMD [\"python3\", \"-m\", \"uvicorn\", ...])")
	}
	if ok, _ := ctr.Exists(ctx, "/bin/sh"); !ok {
		return run, false, nil
	}
	// Not exec: the shell stays to write down how the service ended.
	script := `"$@" >>` + serveLogDir + `/output 2>&1; echo "exit code: $?" >` + serveLogDir + `/exit`
	return append([]string{"/bin/sh", "-c", script, "sh"}, run...), true, nil
}

// exitReason is the first line of the engine's error for a service that
// stopped, without the trace id the engine appends, e.g. "exit code: 3".
func exitReason(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return strings.TrimSpace(traceSuffix.ReplaceAllString(line, ""))
}

var traceSuffix = regexp.MustCompile(`\s*\[traceparent:[0-9a-f-]+\]`)

// Check fails when a path did not answer as it must, naming each with what
// it answered and the fix; it returns the report when the service passes.
func (r *ServeReport) Check() (*ServeReport, error) {
	if !r.Ok {
		return nil, fmt.Errorf("%s", r.Problem)
	}
	return r, nil
}

func newServeReport(rep *serve.Report) (*ServeReport, error) {
	v := pipeline.NewVerdict(rep, rep.Err())
	data, err := v.JSON()
	if err != nil {
		return nil, fmt.Errorf("serve: %s", err.Error())
	}
	r := &ServeReport{Missing: rep.Missing, Seconds: rep.Seconds, Ok: v.Ok, Problem: v.Problem, Verdict: dagger.JSON(data)}
	for _, a := range rep.Answers {
		s := a.What + " " + a.Path + ": "
		if a.Status == 0 {
			s += "no answer"
		} else {
			s += strconv.Itoa(a.Status)
		}
		r.Answers = append(r.Answers, s)
	}
	return r, nil
}
