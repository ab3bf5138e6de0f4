"""Property-based fuzzing of the OpenAPI schema over real HTTP (schemathesis + hypothesis):
no generated request, however odd, gets a 5xx. Admin routes are fuzzed with the token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as fuzz_settings
from sqlalchemy.engine import Engine

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.web.app import create_app
from tests.browser import live_server

TOKEN = "fuzz-admin-token-0123456789"


@pytest.fixture
def api_schema(settings: Settings, registry: Registry, engine: Engine) -> Iterator[Any]:
    app = create_app(settings.with_(admin_token=TOKEN), registry, seed=0)
    with live_server(app) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@fuzz_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_generated_requests_never_get_a_server_error(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
