"""The store: every read and write of frontdesk's state, one short transaction each.

Its queries live in one module per concept; `Store` puts them together as the single entry point.
"""

from __future__ import annotations

from storage.inbound import InboundQueries
from storage.outbox import OutboxQueries, OutboxWork
from storage.ownership import OwnershipQueries
from storage.reads import OperatorReads
from storage.turns import TurnQueries

# handoffs/ imports OutboxWork from here; its home is storage.outbox.
__all__ = ["OutboxWork", "Store"]


class Store(InboundQueries, TurnQueries, OutboxQueries, OwnershipQueries, OperatorReads):
    """All reads and writes of frontdesk's state."""
