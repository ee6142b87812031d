# The two commands of the README. Both provision the local platform first
# (hack/platform up: idempotent, cached by version outside the clone).
SHELL := /bin/bash
GO_TEST_FLAGS ?= -count=1 -timeout 45m
# The tests through the platform mostly wait (rollouts, scrapes, backoffs): those that call t.Parallel run
# side by side, at most this many at once in each package, a bound for 2 cores and one engine.
GO_TEST_PARALLEL ?= 4
EXAMPLE ?= examples/fastapi-service
# The local platform's registry serves Trivy's DB; the scan reaches it through a tunnel.
REGISTRY_PORT ?= $(lastword $(subst :, ,$(or $(GP_REGISTRY_ADDR),127.0.0.1:5000)))
# The platform's authenticated registry plays ACR; the push reaches it through a tunnel too. The image is
# tagged with this checkout's commit; its time starts the release's lead time.
ACR_PORT ?= $(lastword $(subst :, ,$(or $(GP_ACR_ADDR),127.0.0.1:5001)))
COMMIT ?= $(shell git rev-parse HEAD)
COMMIT_TIME ?= $(shell git log -1 --format=%cI)
# After the deploy, ship waits for the platform's Prometheus to scrape the service and registers its
# dashboard in the platform's Grafana stand-in (a fake of Grafana's HTTP API: no Grafana can be had here).
PROMETHEUS_PORT ?= $(lastword $(subst :, ,$(or $(GP_PROMETHEUS_URL),http://127.0.0.1:9090)))
GRAFANA_PORT ?= $(lastword $(subst :, ,$(or $(GP_GRAFANA_URL),http://127.0.0.1:3000)))
# The golden path's arguments (the service and its gates, shared by ship and report), then ship's.
GATE_FLAGS ?= --trivy-db-registry tcp://localhost:$(REGISTRY_PORT) --trivy-db-repository db-registry:$(REGISTRY_PORT)/aquasec/trivy-db
SHIP_FLAGS ?= --registry 127.0.0.1:$(ACR_PORT) --username golden-path --password file://$${GP_ACR_PASSWORD_FILE} \
	--registry-tunnel tcp://localhost:$(ACR_PORT) --commit $(COMMIT) --commit-time $(COMMIT_TIME) \
	--kubeconfig file://$${GP_KUBECONFIG_TEAMS}/payments.kubeconfig --kube-api tcp://localhost:6443 \
	--prometheus-url http://127.0.0.1:$(PROMETHEUS_PORT) --prometheus-tunnel tcp://localhost:$(PROMETHEUS_PORT) \
	--grafana-url http://127.0.0.1:$(GRAFANA_PORT) --grafana-token file://$${GP_GRAFANA_TOKEN_FILE} --grafana-tunnel tcp://localhost:$(GRAFANA_PORT)
# Dagger modules and their examples modules: each has its own go.mod (Dagger v0.21 needs one per module).
MODULES := .dagger $(patsubst %/dagger.json,%,$(wildcard modules/*/dagger.json modules/*/examples/go/dagger.json examples/go/dagger.json))

# The order `dagger develop` regenerates them in: a module's generated client quotes the source lines of the
# modules it calls, so the stage modules come first, then their examples, then the root module.
GENERATE := $(patsubst %/dagger.json,%,$(wildcard modules/*/dagger.json) $(wildcard modules/*/examples/go/dagger.json) examples/go/dagger.json) .

# The Dagger modules' unit tests need no engine, but their generated client wants a session when the test binary
# starts: they get one that answers nothing (port 1), so a test that calls the engine fails instead of passing.
MODULE_TEST_ENV := DAGGER_SESSION_PORT=1 DAGGER_SESSION_TOKEN=unit-tests

.PHONY: ship test test-fast test-modules vet generate platform

## ship: the main job — `dagger call … ship` on the example service.
ship: platform
	eval "$$(hack/platform env)" && dagger --progress=plain call --source $(EXAMPLE) $(GATE_FLAGS) ship $(SHIP_FLAGS) summary

## test: every test: build and vet from a clean checkout, unit tests, tests through the real engine. The
## workflow tests (hack/actionstest, a module of its own) run beside the root module's packages.
## The platform starts (mostly waiting on processes) while vet compiles every module (CPU): side by side.
test:
	$(MAKE) --no-print-directory -j2 platform vet
	$(MAKE) --no-print-directory test-modules
	for m in hack/kubetool hack/spancount; do (cd $$m && go test -count=1 ./...) || exit 1; done
	eval "$$(hack/platform env)" && { \
		(cd hack/actionstest && go test $(GO_TEST_FLAGS) -parallel $(GO_TEST_PARALLEL) ./...) & actions=$$!; \
		go test $(GO_TEST_FLAGS) -parallel $(GO_TEST_PARALLEL) ./...; rc=$$?; \
		wait $$actions || rc=1; exit $$rc; }

## test-fast: the edit-compile loop: build, vet and the unit tests; no platform, so the tests that need it skip.
test-fast: vet test-modules
	for m in hack/kubetool hack/spancount; do (cd $$m && go test -count=1 ./...) || exit 1; done
	cd hack/actionstest && env -u CI go test -count=1 ./...
	env -u CI go test -count=1 $$(go list ./... | grep -v -e '/tests$$' -e '/hack/platformtest$$')

## test-modules: the Dagger modules' unit tests (the orchestration's logic that needs no engine).
test-modules:
	for m in $(sort $(dir $(wildcard $(addsuffix /*_test.go,$(MODULES))))); do (cd $$m && env $(MODULE_TEST_ENV) go test -count=1 ./...) || exit 1; done

## vet: build and vet every Go module of the repository. The Dagger modules are main packages that the
## engine compiles and links in the tests: here vet type-checks them (a compile error fails it), with
## -trimpath so that their compiled packages are keyed by content, not by the clone's folder: a fresh clone
## reuses them (a fresh clone, warm caches: 80 s before, 20 s). The tests' packages keep their paths (assertion messages
## quote the source line).
vet:
	go build ./... && go vet ./...
	for m in hack/kubetool hack/actionstest hack/spancount; do (cd $$m && go build ./... && go vet ./...) || exit 1; done
	for m in $(MODULES); do (cd $$m && GOFLAGS="$$GOFLAGS -trimpath" go vet ./...) || exit 1; done

## generate: regenerate every module's Dagger code (commit it: hack/platformtest checks it is current).
generate: platform
	eval "$$(hack/platform env)" && for m in $(GENERATE); do (cd $$m && dagger --progress=plain develop >/dev/null) || exit 1; done

platform:
	hack/platform up
