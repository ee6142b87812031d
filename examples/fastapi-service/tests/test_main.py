import json
import logging
import uuid
from datetime import datetime

from fastapi.testclient import TestClient

from main import SERVICE_NAME, create_app

GREET_ROUTE = "/greet/{name}"


def json_lines(text):
    """The JSON objects among the lines of captured stdout."""
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


# --- Probes --------------------------------------------------------------------------------------


def test_health_is_ok(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["content-type"] == "application/json"


def test_ready_once_started(client):
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_not_ready_before_startup_and_after_shutdown(app):
    not_started = TestClient(app)  # no `with`: the lifespan (startup) has not run
    response = not_started.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready"}
    assert not_started.get("/health").status_code == 200  # alive, just not ready

    with TestClient(app) as started:
        assert started.get("/ready").status_code == 200

    after_shutdown = TestClient(app).get("/ready")
    assert after_shutdown.status_code == 503
    assert app.state.ready is False


# --- Feature endpoint ----------------------------------------------------------------------------


def test_greet_says_hello(client):
    response = client.get("/greet/Ada")

    assert response.status_code == 200
    assert response.json() == {"message": "Hello, Ada!"}

    unicode_name = client.get("/greet/Zo%C3%AB")
    assert unicode_name.status_code == 200
    assert unicode_name.json() == {"message": "Hello, Zoë!"}


def test_greet_accepts_64_chars_and_rejects_65(client):
    longest = "a" * 64
    ok = client.get(f"/greet/{longest}")
    assert ok.status_code == 200
    assert ok.json() == {"message": f"Hello, {longest}!"}

    too_long = client.get("/greet/" + "a" * 65)
    assert too_long.status_code == 422
    errors = too_long.json()["detail"]
    assert len(errors) == 1
    assert errors[0]["loc"] == ["path", "name"]


def test_unknown_path_is_404(client):
    response = client.get("/nope")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


# --- Metrics -------------------------------------------------------------------------------------


def test_metrics_count_requests_by_route_template(client, registry):
    client.get("/greet/alice")
    client.get("/greet/bob")
    client.get("/greet/" + "x" * 65)
    client.get("/nope/1")
    client.get("/nope/2")

    def requests_total(route, status):
        labels = {"method": "GET", "route": route, "status": status}
        return registry.get_sample_value("http_requests_total", labels)

    assert requests_total(GREET_ROUTE, "200") == 2
    assert requests_total(GREET_ROUTE, "422") == 1
    assert requests_total("<unmatched>", "404") == 2  # raw paths never become labels
    assert requests_total("/greet/alice", "200") is None
    duration_labels = {"method": "GET", "route": GREET_ROUTE}
    assert registry.get_sample_value("http_request_duration_seconds_count", duration_labels) == 3
    assert registry.get_sample_value("http_request_duration_seconds_sum", duration_labels) > 0
    assert registry.get_sample_value("http_requests_in_flight") == 0


def test_metrics_endpoint_exposes_prometheus_text(client):
    client.get("/greet/alice")
    client.get("/greet/bob")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert "# TYPE http_requests_total counter" in body
    assert 'http_requests_total{method="GET",route="/greet/{name}",status="200"} 2.0' in body
    assert "# TYPE http_request_duration_seconds histogram" in body
    assert 'http_request_duration_seconds_count{method="GET",route="/greet/{name}"} 2.0' in body
    assert "http_requests_in_flight 1.0" in body  # the scrape itself is in flight
    assert "/greet/alice" not in body


def test_each_app_has_its_own_registry(client, registry):
    client.get("/greet/alice")
    other = create_app()

    assert other.state.metrics_registry is not registry
    labels = {"method": "GET", "route": GREET_ROUTE, "status": "200"}
    assert registry.get_sample_value("http_requests_total", labels) == 1
    assert other.state.metrics_registry.get_sample_value("http_requests_total", labels) is None


# --- Request ids ---------------------------------------------------------------------------------


def test_request_id_is_propagated(client):
    response = client.get("/greet/Ada", headers={"X-Request-ID": "abc-123"})

    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers.get_list("x-request-id") == ["abc-123"]


def test_request_id_is_generated_when_missing_or_invalid(client):
    first = client.get("/health").headers["x-request-id"]
    second = client.get("/health").headers["x-request-id"]
    invalid = client.get("/health", headers={"X-Request-ID": "not valid; " + "x" * 200})

    assert uuid.UUID(first).version == 4
    assert uuid.UUID(second).version == 4
    assert first != second
    assert uuid.UUID(invalid.headers["x-request-id"]).version == 4


# --- Logs ----------------------------------------------------------------------------------------


def test_access_log_is_one_json_line(client, capsys):
    capsys.readouterr()  # drop startup output

    client.get("/greet/Ada", headers={"X-Request-ID": "log-test-1"})
    client.get("/health", headers={"X-Request-ID": "probe-1"})

    entries = json_lines(capsys.readouterr().out)
    access = [e for e in entries if e.get("request_id") == "log-test-1"]
    assert len(access) == 1
    entry = access[0]
    assert entry["level"] == "INFO"
    assert entry["msg"] == "request completed"
    assert entry["method"] == "GET"
    assert entry["path"] == "/greet/Ada"
    assert entry["route"] == GREET_ROUTE
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["service"] == SERVICE_NAME
    assert datetime.fromisoformat(entry["ts"].replace("Z", "+00:00")).tzinfo is not None
    # probes are logged at DEBUG only, so they don't flood the logs at the default INFO level
    assert not [e for e in entries if e.get("request_id") == "probe-1"]


def test_app_logs_carry_the_request_id_and_errors_are_logged(app, capsys):
    app_logger = logging.getLogger("tests.handler")

    @app.get("/log-something")
    async def log_something():
        app_logger.warning("inside handler")
        return {"ok": True}

    @app.get("/boom")
    async def boom():
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as client:
        capsys.readouterr()
        assert client.get("/log-something", headers={"X-Request-ID": "rid-1"}).status_code == 200
        assert client.get("/boom", headers={"X-Request-ID": "rid-2"}).status_code == 500

    entries = json_lines(capsys.readouterr().out)
    handler_line = [e for e in entries if e["msg"] == "inside handler"]
    assert len(handler_line) == 1
    assert handler_line[0]["request_id"] == "rid-1"
    assert handler_line[0]["logger"] == "tests.handler"
    assert handler_line[0]["level"] == "WARNING"
    failed = [e for e in entries if e["msg"] == "request failed"]
    assert len(failed) == 1
    assert failed[0]["request_id"] == "rid-2"
    assert failed[0]["status"] == 500
    assert failed[0]["route"] == "/boom"
    assert "RuntimeError: kaboom" in failed[0]["exc_info"]
    labels = {"method": "GET", "route": "/boom", "status": "500"}
    assert app.state.metrics_registry.get_sample_value("http_requests_total", labels) == 1
