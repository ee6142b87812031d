"""Shared fixtures: every test gets a fresh app, with its own metrics registry."""

import pytest
from fastapi.testclient import TestClient

from main import create_app


@pytest.fixture
def app():
    return create_app()


@pytest.fixture
def registry(app):
    """The app's Prometheus registry, to read metric values directly."""
    return app.state.metrics_registry


@pytest.fixture
def client(app):
    """A client of a started app: `with` runs the lifespan, so the app is ready."""
    with TestClient(app) as test_client:
        yield test_client
