"""hello-api: the golden-path FastAPI service template.

Run it locally with ``uvicorn main:app --app-dir src --reload``. Your own endpoints go on ``router``
(or on routers of your own, included in ``create_app``); health, readiness, metrics, JSON logs and
request ids are already wired up.
"""

import inspect
import logging
import os
from contextlib import asynccontextmanager
from typing import AsyncIterator, Optional

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

import observability

SERVICE_NAME = os.getenv("SERVICE_NAME", "hello-api")
LOG_LEVEL = os.getenv("LOG_LEVEL", "INFO")

# These must match `health` and `metrics` in golden-path.yaml.
LIVENESS_PATH = "/health"
READINESS_PATH = "/ready"
METRICS_PATH = "/metrics"

logger = logging.getLogger(__name__)
router = APIRouter()


# --- Platform endpoints: probes and metrics ------------------------------------------------------


@router.get(LIVENESS_PATH, include_in_schema=False)
async def health() -> dict:
    """Liveness: the process is up and serving. Keep it cheap; check no dependencies here."""
    return {"status": "ok"}


@router.get(READINESS_PATH, include_in_schema=False)
async def ready(request: Request):
    """Readiness: 200 once startup has finished, 503 before that and while shutting down."""
    if request.app.state.ready:
        return {"status": "ready"}
    return JSONResponse({"status": "not ready"}, status_code=503)


@router.get(METRICS_PATH, include_in_schema=False)
async def metrics(request: Request):
    """Prometheus scrape endpoint."""
    body, content_type = observability.render_metrics(request.app.state.metrics_registry)
    return Response(content=body, headers={"Content-Type": content_type})


# --- Your feature endpoints ----------------------------------------------------------------------


class Greeting(BaseModel):
    message: str


@router.get("/greet/{name}", response_model=Greeting, tags=["greetings"])
async def greet(name: str = Path(..., min_length=1, max_length=64)) -> Greeting:
    """Greet someone by name (1 to 64 characters; longer names get a 422)."""
    return Greeting(message=f"Hello, {name}!")


# --- Application ---------------------------------------------------------------------------------


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Startup: open connection pools, load caches... here, then declare the service ready.
    app.state.ready = True
    logger.info("service ready")
    yield
    # Shutdown: report not ready first, so no new traffic is routed here while we finish.
    app.state.ready = False
    logger.info("service shutting down")


def create_app(registry: Optional[CollectorRegistry] = None) -> FastAPI:
    """Build the application. Each call gets its own metrics registry (tests rely on this)."""
    observability.configure_logging(SERVICE_NAME, LOG_LEVEL)
    if registry is None:
        registry = observability.new_registry()

    if "lifespan" in inspect.signature(FastAPI).parameters:
        application = FastAPI(title=SERVICE_NAME, lifespan=lifespan)
    else:  # FastAPI < 0.93 (e.g. Debian bookworm's) has no `lifespan` argument yet
        application = FastAPI(title=SERVICE_NAME)
        application.router.lifespan_context = lifespan

    application.state.ready = False
    application.state.metrics_registry = registry
    application.add_middleware(
        observability.ObservabilityMiddleware,
        metrics=observability.HttpMetrics(registry),
        quiet_paths=(LIVENESS_PATH, READINESS_PATH, METRICS_PATH),
    )
    application.include_router(router)
    return application


app = create_app()
