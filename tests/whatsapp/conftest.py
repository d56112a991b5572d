"""The fake Twilio REST API every WhatsApp test talks to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fake_twilio import FakeTwilio
from tests.twilio_requests import ACCOUNT, TOKEN


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = await FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN).start()
    yield server
    await server.stop()
