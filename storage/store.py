"""The store: every read and write of frontdesk's state, one short transaction each.

Its queries live in one module per concept; `Store` puts them together as the single entry point.
"""

from __future__ import annotations

from storage.accounts import AccountQueries
from storage.inbound import InboundQueries
from storage.outbox import OutboxQueries
from storage.queue import InboxQueries
from storage.reads import OperatorReads
from storage.staff import StaffQueries
from storage.turns import TurnQueries


class Store(
    InboundQueries,
    TurnQueries,
    OutboxQueries,
    StaffQueries,
    AccountQueries,
    InboxQueries,
    OperatorReads,
):
    """All reads and writes of frontdesk's state."""
