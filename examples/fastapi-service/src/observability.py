"""Observability for the service: JSON logs, request ids and Prometheus metrics.

You normally don't need to edit this file. What it gives you:

* every log record (yours included: ``logging.getLogger(__name__).info("...")``) is written to
  stdout as one JSON object per line, carrying the id of the request being served;
* each request gets an id, taken from the ``X-Request-ID`` header or generated, and echoed back in
  the ``X-Request-ID`` response header, so a caller can find its request in the logs;
* each request is counted and timed in Prometheus metrics labelled by the *route template*
  (``/greet/{name}``), never the raw path, so the number of time series stays bounded.
"""

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Iterable, Optional, Tuple

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# Label for requests that matched no route (404s): one series, however many paths are scanned.
UNMATCHED_ROUTE = "<unmatched>"

# An incoming request id is reused only if it looks like an id (no spaces, quotes, newlines...).
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

# The id of the request being served, for log records emitted while serving it.
request_id_var: ContextVar[Optional[str]] = ContextVar("request_id", default=None)

access_logger = logging.getLogger("access")


# --- Logging -------------------------------------------------------------------------------------

# Fields passed with ``extra={...}`` that make it into the JSON line.
_EXTRA_FIELDS = ("method", "path", "route", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: ts, level, logger, msg, service, request_id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, tz=timezone.utc)
        entry = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "service": self.service,
            "request_id": request_id_var.get(),
        }
        for field in _EXTRA_FIELDS:
            if field in record.__dict__:
                entry[field] = record.__dict__[field]
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at emit time (like logging's own stderr fallback), so
    output is not lost when stdout is swapped, e.g. by pytest's capture."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record (root logger) to stdout as JSON. Safe to call more than once."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StdoutHandler):
            root.removeHandler(handler)
    handler = _StdoutHandler()
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn sets up plain-text handlers of its own before it imports the app: send its records
    # through ours instead, and drop its access log (ObservabilityMiddleware writes a richer one).
    for name in ("uvicorn", "uvicorn.error"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True


# --- Metrics -------------------------------------------------------------------------------------


def new_registry() -> CollectorRegistry:
    """A registry of our own (one per app, so tests are isolated) with the process, Python platform
    and garbage-collector metrics that the default registry would have."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def render_metrics(registry: CollectorRegistry) -> Tuple[bytes, str]:
    """The Prometheus text exposition of ``registry``: (body, content type)."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


class HttpMetrics:
    """The RED metrics of the HTTP server (rate, errors, duration) plus requests in flight."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests handled, by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time spent handling an HTTP request, by method and route template.",
            ["method", "route"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being handled right now.",
            registry=registry,
        )


# --- Middleware ----------------------------------------------------------------------------------


def _route_template(scope: Scope) -> str:
    """The template of the route that handled the request (``/greet/{name}``)."""
    route = scope.get("route")  # set by FastAPI when one of its routes matched
    if route is not None:
        return route.path
    # Plain Starlette routes (e.g. /docs) don't set it: match them the way the router does.
    for candidate in getattr(scope.get("app"), "routes", ()):
        match, _ = candidate.matches(scope)
        if match != Match.NONE:
            return candidate.path
    return UNMATCHED_ROUTE


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
            break
    return str(uuid.uuid4())


class ObservabilityMiddleware:
    """Pure ASGI middleware: request id, access log and metrics for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, quiet_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.metrics = metrics
        # Probes and scrapes hit these every few seconds: their access logs go at DEBUG, not INFO.
        self.quiet_paths = frozenset(quiet_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets pass through
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope)
        token = request_id_var.set(request_id)
        status = 500  # if the app raises before responding, the server answers 500
        start = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            self._record(scope, status, start, failed=True)
            raise
        else:
            self._record(scope, status, start, failed=False)
        finally:
            self.metrics.in_flight.dec()
            request_id_var.reset(token)

    def _record(self, scope: Scope, status: int, start: float, failed: bool) -> None:
        elapsed = time.perf_counter() - start
        method = scope["method"]
        route = _route_template(scope)
        self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
        self.metrics.duration.labels(method=method, route=route).observe(elapsed)

        fields = {
            "method": method,
            "path": scope["path"],
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 3),
        }
        if failed:
            access_logger.error("request failed", exc_info=True, extra=fields)
        elif scope["path"] in self.quiet_paths:
            access_logger.debug("request completed", extra=fields)
        else:
            access_logger.info("request completed", extra=fields)
