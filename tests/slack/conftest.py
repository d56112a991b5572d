"""The fake Slack Web API every Slack test talks to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fake_slack import FakeSlack
from tests.slack_requests import ANA


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """The fake Slack Web API, with two people in the workspace."""
    slack = await FakeSlack().start()
    slack.add_user(ANA, "Ana Smith", locale="en-US", tz="America/New_York")
    slack.add_user("U0LUCIA", "Lucía Pérez", locale="es-LA", tz="America/Mexico_City")
    yield slack
    await slack.close()
