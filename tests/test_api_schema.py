"""schemathesis against the operator API's own OpenAPI schema, over HTTP on 127.0.0.1.

The schema is what `/openapi.json` serves (FRONTDESK_API_DOCS on); schemathesis generates valid
and invalid requests for every operation and checks each answer against it: no 5xx, documented
status codes, bodies that match their schema, invalid input refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy import Engine

from bots.app import create_app
from bots.service import build_service
from storage.store import Store
from tests.background import in_background
from tests.channels import RecordingSender, inbound
from tests.conftest import make_settings
from tests.servers import serving

API_TOKEN = "schema-test-token"


@pytest.fixture
def api_schema(engine: Engine, sqlite_url: str) -> Iterator[Any]:
    """The running app's schema, with one answered conversation to read."""

    async def start(stack: AsyncExitStack) -> str:
        values = {"api_token": API_TOKEN, "api_docs": True}
        service = build_service(make_settings(sqlite_url, **values), store=Store(engine))
        service.switchboard.add_sender(RecordingSender())
        url = await stack.enter_async_context(serving(create_app(service=service)))
        await service.switchboard.receive(inbound("hola, ¿cuánto debo?"))
        await service.switchboard.drain()
        return url

    with in_background(start) as (_, url):
        # The operator API; /healthz, /readyz and /metrics are for probes and scrapers.
        yield schemathesis.openapi.from_url(f"{url}/openapi.json").include(path_regex="^/api/")


# schemathesis's own pytest integration (`from_fixture(...).parametrize()`) reads a private
# pytest attribute that pytest 9 no longer has, so its strategies drive a plain @given test.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_operator_api_keeps_to_its_schema(
    api_schema: Any, mode: GenerationMode, data: st.DataObject
) -> None:
    case = data.draw(api_schema.as_strategy(generation_mode=mode))
    case.call_and_validate(headers={"Authorization": f"Bearer {API_TOKEN}"})
